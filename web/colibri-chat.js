/*
 * Colibri — widget de chat du service client (JavaScript simple, une seule balise script).
 *
 * Intégration : <script src="/colibri-chat.js" data-rasa-url="" defer></script>
 *   data-rasa-url : URL du serveur Rasa (vide = paramètre « rasa-url » de l'adresse de la page
 *     s'il y en a un, sinon même hôte que la page, port 5005)
 *   data-open="true" : panneau ouvert au chargement
 * Protocole : canal socket.io de Rasa (client socket.io v4 servi par ce site, vendor/socket.io.min.js,
 *   construit par `make web-assets`). io(RASA_URL, {path: "/socket.io/"}) ;
 *   émis : session_request {session_id}, user_uttered {message, session_id} ;
 *   reçus : session_confirm, bot_uttered {text, quick_replies|buttons, attachment|image}.
 *   L'identifiant de session est gardé dans localStorage : même conversation après rechargement
 *   et dans les autres onglets ; les messages affichés aussi (clé par session, bornés).
 * Sécurité : tout texte (client ou serveur) passe par textContent ; aucun HTML n'est interprété.
 */
(function () {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="colibri-chat"]');
  const attr = (name) => ((script && script.getAttribute(name)) || "").trim();

  // The page's "rasa-url" query parameter (tests, demos) only counts when data-rasa-url is empty;
  // the page's Content-Security-Policy still decides which servers may be reached.
  const fromQuery = new URLSearchParams(location.search).get("rasa-url") || "";
  const RASA_URL = (attr("data-rasa-url") || fromQuery || `${location.protocol}//${location.hostname}:5005`)
    .trim().replace(/\/+$/, "");
  const SOCKET_PATH = "/socket.io/";
  const MAX_CHARS = 2000;
  const TIMEOUT_MS = 30000; // no answer from Colibri within this delay: error notice
  const MAX_SAVED = 200; // messages kept in the saved transcript
  const KEY_SENDER = "colibri.session";
  const KEY_LOG = "colibri.transcript."; // + session id
  const KEY_OPEN = "colibri.open";

  const TEXT = {
    launcher: "Discuter avec Colibri", title: "Colibri — Service client", reset: "Nouvelle conversation",
    close: "Fermer le chat", log: "Conversation avec Colibri", label: "Votre message", send: "Envoyer",
    typing: "Colibri écrit…", you: "Vous : ", bot: "Colibri : ", advisor: "Conseiller",
    choices: "Réponses proposées", image: "Image envoyée par Colibri", chars: " caractères sur 2 000",
    offline: "Connexion au service interrompue, nouvelle tentative en cours…",
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
      const data = JSON.parse(store.get(KEY_LOG + senderId) || "[]");
      return Array.isArray(data) ? data.filter((m) => m && typeof m === "object") : [];
    } catch (e) {
      return [];
    }
  }

  function saveTranscript() {
    transcript = transcript.slice(-MAX_SAVED);
    store.set(KEY_LOG + senderId, JSON.stringify(transcript));
  }

  const savedSender = store.get(KEY_SENDER);
  let senderId = /^[\w-]{8,80}$/.test(savedSender || "") ? savedSender : newSenderId();
  store.set(KEY_SENDER, senderId);
  let transcript = loadTranscript();
  let waiting = null; // timer while Colibri's answer is awaited (typing indicator)
  let socket = null;

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
    "aria-describedby": "colibri-counter",
  });
  const counter = el("p", { id: "colibri-counter", class: "colibri-counter" });
  const sendBtn = el("button", { type: "submit", class: "colibri-send", text: TEXT.send });
  const form = el("form", { class: "colibri-form", novalidate: "" },
    el("label", { for: "colibri-input", class: "colibri-label", text: TEXT.label }),
    el("div", { class: "colibri-row" }, input, sendBtn), counter);
  const panel = el("section", { id: "colibri-panel", class: "colibri-panel", "aria-labelledby": "colibri-title" },
    header, log, typing, form);

  // ---- Rendering ----
  const scrollToEnd = () => { log.scrollTop = log.scrollHeight; };

  function render(entry) {
    const item = el("div", { class: "colibri-msg colibri-" + entry.from });
    if (entry.text) {
      const bubble = el("p", { class: "colibri-bubble" });
      if (entry.advisor) {
        bubble.append(el("span", { class: "colibri-author", text: `${entry.advisor} (${TEXT.advisor.toLowerCase()}) : ` }));
      } else if (entry.from !== "notice") {
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

  // A bot_uttered event of Rasa's socket.io channel: {text}, {text, quick_replies},
  // {attachment: {type: "image", payload: {src}}}; `buttons` and `image` are accepted too.
  function addBotMessage(message) {
    if (!message || typeof message !== "object") return;
    const entry = { from: "bot" };
    if (typeof message.text === "string" && message.text.trim()) entry.text = message.text;
    const attachment = message.attachment && message.attachment.payload;
    const image = message.image || (message.attachment && message.attachment.type === "image" && attachment && attachment.src);
    if (typeof image === "string" && image) entry.image = image;
    const choices = Array.isArray(message.quick_replies) ? message.quick_replies : message.buttons;
    if (Array.isArray(choices)) {
      entry.buttons = choices
        .filter((b) => b && (b.title || b.payload))
        .map((b) => ({ title: String(b.title || b.payload), payload: String(b.payload || b.title) }));
    }
    // An advisor's name, if Rasa ever forwards the event's metadata (Rasa 3.6 sends only the text).
    const advisor = message.metadata && message.metadata.advisor;
    if (typeof advisor === "string" && advisor.trim()) entry.advisor = advisor.trim().slice(0, 60);
    // `custom` payloads are not displayed by this widget.
    if (entry.text || entry.image || (entry.buttons && entry.buttons.length)) addEntry(entry);
  }

  function setWaiting(on) {
    clearTimeout(waiting);
    waiting = on ? setTimeout(() => { setWaiting(false); notice(TEXT.error); }, TIMEOUT_MS) : null;
    typing.textContent = on ? TEXT.typing : "";
  }

  function updateCounter() {
    const count = Array.from(input.value).length;
    counter.textContent = count + TEXT.chars;
    counter.classList.toggle("colibri-over", count > MAX_CHARS);
  }

  // ---- Talking to Rasa (socket.io) ----
  function connect() {
    if (typeof window.io !== "function") { notice(TEXT.error); return; }
    socket = window.io(RASA_URL, { path: SOCKET_PATH, transports: ["websocket", "polling"], tryAllTransports: true });
    // Every (re)connection asks for the same session: Rasa puts the socket in its room.
    socket.on("connect", () => socket.emit("session_request", { session_id: senderId }));
    socket.on("session_confirm", () => { /* the session id is ours; nothing to do */ });
    socket.on("bot_uttered", (message) => { setWaiting(false); addBotMessage(message); });
    socket.on("disconnect", (reason) => { if (reason !== "io client disconnect") notice(TEXT.offline); });
  }

  // Load the socket.io client served next to this script (vendor/), then connect.
  function loadClient() {
    if (typeof window.io === "function") { connect(); return; }
    const base = script && script.src ? script.src : location.href;
    const tag = el("script", { src: new URL("vendor/socket.io.min.js", base).href });
    tag.addEventListener("load", connect);
    tag.addEventListener("error", () => notice(TEXT.error));
    document.head.append(tag);
  }

  // Show `shown` as the customer's message, send `payload` to Rasa; onFail() runs on error.
  function send(payload, shown, onFail) {
    if (!socket || !socket.connected) { notice(TEXT.error); onFail(); return; }
    addEntry({ from: "user", text: shown });
    socket.emit("user_uttered", { message: payload, session_id: senderId });
    setWaiting(true);
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
    updateCounter();
    input.focus();
  });
  input.addEventListener("input", updateCounter);

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
    setWaiting(false);
    store.remove(KEY_LOG + senderId);
    senderId = newSenderId(); // a new Rasa conversation (a new socket.io room)
    store.set(KEY_SENDER, senderId);
    if (socket) { socket.disconnect(); socket.connect(); } // a new socket: out of the old room
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
  updateCounter();
  loadClient();
})();
