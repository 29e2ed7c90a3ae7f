/*
 * Colibri — widget de chat du service client (JavaScript simple, sans dépendance).
 *
 * Intégration : <script src="/colibri-chat.js" data-rasa-url="" defer></script>
 *   data-rasa-url : URL du serveur Rasa (vide = même hôte que la page, port 5005)
 *   data-open="true" : panneau ouvert au chargement
 * Protocole : canal REST de Rasa, POST {rasaUrl}/webhooks/rest/webhook
 *   {"sender": "...", "message": "..."} -> [{text, buttons, image, custom}, ...]
 * Sécurité : tout texte (client ou serveur) passe par textContent ; aucun HTML n'est interprété.
 */
(function () {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="colibri-chat"]');
  const attr = (name) => ((script && script.getAttribute(name)) || "").trim();

  const RASA_URL = (attr("data-rasa-url") || `${location.protocol}//${location.hostname}:5005`).replace(/\/+$/, "");
  const ENDPOINT = RASA_URL + "/webhooks/rest/webhook";
  const MAX_CHARS = 2000;
  const TIMEOUT_MS = 15000;
  const MAX_SAVED = 200; // messages kept in the saved transcript
  const KEY_SENDER = "colibri.sender";
  const KEY_LOG = "colibri.transcript";
  const KEY_OPEN = "colibri.open";

  const TEXT = {
    launcher: "Discuter avec Colibri", title: "Colibri — Service client", reset: "Nouvelle conversation",
    close: "Fermer le chat", log: "Conversation avec Colibri", label: "Votre message", send: "Envoyer",
    typing: "Colibri écrit…", you: "Vous : ", bot: "Colibri : ",
    choices: "Réponses proposées", image: "Image envoyée par Colibri",
    welcome: "Bonjour ! Je suis Colibri, l'assistant du service client. Comment puis-je vous aider ?",
    error: "Oups, je n'arrive pas à joindre le service pour le moment. Réessayez dans un instant.",
    tooLong: "Votre message est trop long (2 000 caractères maximum). Merci de le raccourcir.",
  };

  // ---- Storage: localStorage, with an in-memory copy in case it is blocked or full ----
  const memory = {};
  const store = {
    get(key) {
      if (key in memory) return memory[key];
      try { return localStorage.getItem(key); } catch (e) { return null; }
    },
    set(key, value) {
      memory[key] = value;
      try { localStorage.setItem(key, value); } catch (e) { /* blocked or full */ }
    },
    remove(key) {
      delete memory[key];
      try { localStorage.removeItem(key); } catch (e) { /* blocked */ }
    },
  };

  function newSenderId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function loadTranscript() {
    try {
      const data = JSON.parse(store.get(KEY_LOG) || "[]");
      return Array.isArray(data) ? data.filter((m) => m && typeof m === "object") : [];
    } catch (e) {
      return [];
    }
  }

  function saveTranscript() {
    transcript = transcript.slice(-MAX_SAVED);
    store.set(KEY_LOG, JSON.stringify(transcript));
  }

  const savedSender = store.get(KEY_SENDER);
  let senderId = /^[\w-]{8,80}$/.test(savedSender || "") ? savedSender : newSenderId();
  store.set(KEY_SENDER, senderId);
  let transcript = loadTranscript();
  let generation = 0; // bumped by "Nouvelle conversation": late answers are then ignored
  let pending = 0; // requests waiting for an answer
  let queue = Promise.resolve(); // one request at a time keeps answers in order

  // ---- DOM helpers ----
  // el("p", {class: "x", text: "..."}, child...) : text always goes through textContent.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  // Only http(s) URLs are turned into links or images.
  function safeUrl(value) {
    try {
      const url = new URL(String(value), location.href);
      return /^https?:$/.test(url.protocol) ? url.href : null;
    } catch (e) { return null; }
  }

  // Append text, turning URLs into <a> elements built node by node.
  const URL_RE = /https?:\/\/[^\s<>"]+/g;
  function appendLinkified(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      const raw = match[0].replace(/[.,;:!?)\]}»'"]+$/, ""); // trailing punctuation is not part of the link
      const href = safeUrl(raw);
      if (!href) continue;
      parent.append(text.slice(last, match.index));
      parent.append(el("a", { href, target: "_blank", rel: "noopener noreferrer", text: raw }));
      last = match.index + raw.length;
    }
    parent.append(text.slice(last));
  }

  // ---- Widget markup ----
  const css = script && script.src ? script.src.replace(/\.js(?=$|[?#])/, ".css") : "/colibri-chat.css";
  if (!document.querySelector('link[href*="colibri-chat.css"]')) {
    document.head.append(el("link", { rel: "stylesheet", href: css }));
  }

  const launcher = el("button", { type: "button", class: "colibri-launcher", "aria-controls": "colibri-panel",
    "aria-expanded": "false", text: TEXT.launcher });
  const resetBtn = el("button", { type: "button", class: "colibri-reset", text: TEXT.reset });
  const closeBtn = el("button", { type: "button", class: "colibri-close", "aria-label": TEXT.close, title: TEXT.close, text: "×" });
  const header = el("div", { class: "colibri-header" },
    el("h2", { id: "colibri-title", class: "colibri-title", text: TEXT.title }), resetBtn, closeBtn);
  const log = el("div", {
    id: "colibri-log", class: "colibri-log", role: "log", "aria-live": "polite", "aria-label": TEXT.log, tabindex: "0",
  });
  const typing = el("p", { class: "colibri-typing", role: "status" });
  const input = el("textarea", {
    id: "colibri-input", class: "colibri-input", rows: "2", autocomplete: "off", enterkeyhint: "send",
  });
  const sendBtn = el("button", { type: "submit", class: "colibri-send", text: TEXT.send });
  const form = el("form", { class: "colibri-form", novalidate: "" },
    el("label", { for: "colibri-input", class: "colibri-label", text: TEXT.label }),
    el("div", { class: "colibri-row" }, input, sendBtn));
  const panel = el("section", { id: "colibri-panel", class: "colibri-panel", "aria-labelledby": "colibri-title" },
    header, log, typing, form);

  // ---- Rendering ----
  const scrollToEnd = () => { log.scrollTop = log.scrollHeight; };

  function render(entry) {
    const item = el("div", { class: "colibri-msg colibri-" + entry.from });
    if (entry.text) {
      const bubble = el("p", { class: "colibri-bubble" });
      if (entry.from !== "notice") {
        bubble.append(el("span", { class: "colibri-sr", text: entry.from === "user" ? TEXT.you : TEXT.bot }));
      }
      if (entry.from === "bot") appendLinkified(bubble, entry.text);
      else bubble.append(entry.text);
      item.append(bubble);
    }
    const src = entry.image && safeUrl(entry.image);
    if (src) item.append(el("img", { class: "colibri-image", src, alt: TEXT.image, loading: "lazy" }));
    if (Array.isArray(entry.buttons) && entry.buttons.length) item.append(renderButtons(entry));
    log.append(item);
    scrollToEnd();
  }

  // Buttons send their payload but show their title; the group is then disabled.
  function renderButtons(entry) {
    const buttons = entry.buttons.map((b) => el("button", { type: "button", class: "colibri-choice", text: b.title }));
    const setDisabled = (off) => buttons.forEach((btn) => { btn.disabled = off; });
    buttons.forEach((btn, i) => btn.addEventListener("click", () => {
      if (entry.used) return;
      entry.used = true;
      setDisabled(true);
      saveTranscript();
      // On failure the group is enabled again so the customer can retry.
      send(entry.buttons[i].payload, entry.buttons[i].title, () => {
        entry.used = false;
        setDisabled(false);
        saveTranscript();
      });
      input.focus();
    }));
    setDisabled(Boolean(entry.used));
    return el("div", { class: "colibri-buttons", role: "group", "aria-label": TEXT.choices }, ...buttons);
  }

  function addEntry(entry) {
    transcript.push(entry);
    saveTranscript();
    render(entry);
  }

  // Notices (errors, welcome) are shown but not saved.
  const notice = (text, from = "notice") => render({ from, text });

  function addBotMessage(message) {
    if (!message || typeof message !== "object") return;
    const entry = { from: "bot" };
    if (typeof message.text === "string" && message.text.trim()) entry.text = message.text;
    if (typeof message.image === "string" && message.image) entry.image = message.image;
    if (Array.isArray(message.buttons)) {
      entry.buttons = message.buttons
        .filter((b) => b && (b.title || b.payload))
        .map((b) => ({ title: String(b.title || b.payload), payload: String(b.payload || b.title) }));
    }
    // `custom` payloads are not displayed by this widget.
    if (entry.text || entry.image || (entry.buttons && entry.buttons.length)) addEntry(entry);
  }

  const updateTyping = () => { typing.textContent = pending > 0 ? TEXT.typing : ""; };

  // ---- Talking to Rasa ----
  async function postToRasa(sender, message) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(ENDPOINT, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender, message }), signal: controller.signal,
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const data = await response.json();
      return Array.isArray(data) ? data : [];
    } finally {
      clearTimeout(timer);
    }
  }

  // Show `shown` as the customer's message, send `payload` to Rasa; onFail() runs on error.
  function send(payload, shown, onFail) {
    const gen = generation;
    const sender = senderId;
    addEntry({ from: "user", text: shown });
    pending += 1;
    updateTyping();
    queue = queue
      .then(() => postToRasa(sender, payload))
      .then(
        (messages) => { if (gen === generation) messages.forEach(addBotMessage); },
        () => { if (gen === generation) { notice(TEXT.error); onFail(); } },
      )
      .finally(() => {
        if (gen === generation) pending -= 1;
        updateTyping();
      });
  }

  // Put the customer's text back in the field without losing what was typed since.
  function restoreInput(text) {
    input.value = input.value.trim() ? text + "\n" + input.value : text;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (Array.from(text).length > MAX_CHARS) notice(TEXT.tooLong); // refused, text stays in the field
    else if (text) {
      input.value = "";
      send(text, text, () => restoreInput(text));
    }
    input.focus();
  });

  // Enter sends, Shift+Enter adds a new line (ignored while an IME is composing).
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else sendBtn.click();
    }
  });

  // ---- Open / close / new conversation ----
  function setOpen(open, moveFocus) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    try { sessionStorage.setItem(KEY_OPEN, open ? "1" : "0"); } catch (e) { /* blocked */ }
    if (open) scrollToEnd();
    if (moveFocus) (open ? input : launcher).focus();
  }

  launcher.addEventListener("click", () => setOpen(true, true));
  closeBtn.addEventListener("click", () => setOpen(false, true));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false, true);
  });

  resetBtn.addEventListener("click", () => {
    generation += 1;
    pending = 0;
    queue = Promise.resolve(); // do not wait behind the old conversation's requests
    updateTyping();
    store.remove(KEY_LOG);
    senderId = newSenderId(); // a new Rasa conversation
    store.set(KEY_SENDER, senderId);
    transcript = [];
    log.replaceChildren();
    notice(TEXT.welcome, "bot");
    input.focus();
  });

  // ---- Start: re-render the saved transcript, then attach (so it is not read aloud again) ----
  if (transcript.length) transcript.forEach(render);
  else notice(TEXT.welcome, "bot");
  document.body.append(el("div", { class: "colibri-chat" }, launcher, panel));

  let savedOpen = null;
  try { savedOpen = sessionStorage.getItem(KEY_OPEN); } catch (e) { /* blocked */ }
  setOpen(savedOpen ? savedOpen === "1" : attr("data-open") === "true", false);
})();
