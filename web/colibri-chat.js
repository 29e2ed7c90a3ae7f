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
 *   reçus : session_confirm, bot_uttered {text, quick_replies|buttons, attachment|image,
 *   metadata.advisor (nom du conseiller, ajouté par channels/web_chat.py)}.
 * Onglets : l'identifiant de session et la conversation enregistrée (localStorage, clé par session,
 *   bornée) sont la seule source de vérité, partagée par tous les onglets de la page. Un seul onglet,
 *   « l'écrivain » (celui qui a envoyé le dernier message ou reçu le focus), y ajoute les réponses
 *   reçues ; les autres affichent ce qui est enregistré (événements « storage »).
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
  const SETTLE_MS = 50; // delay before a received message is saved (see "bot_uttered")
  const KEY_SENDER = "colibri.session";
  const KEY_LOG = "colibri.transcript."; // + session id
  const KEY_OPEN = "colibri.open";
  const KEY_WRITER = "colibri.writer"; // the tab that appends Colibri's messages to the saved transcript

  const TEXT = {
    launcher: "Discuter avec Colibri", title: "Colibri — Service client", reset: "Nouvelle conversation",
    close: "Fermer le chat", log: "Conversation avec Colibri", label: "Votre message", send: "Envoyer",
    typing: "Colibri écrit…", you: "Vous : ", bot: "Colibri : ", advisor: " (service client)",
    choices: "Réponses proposées", image: "Image envoyée par Colibri", chars: " caractères sur 2 000",
    offline: "Connexion au service interrompue, nouvelle tentative en cours…",
    welcome: "Bonjour ! Je suis Colibri, l'assistant du service client. Comment puis-je vous aider ?",
    error: "Oups, je n'arrive pas à joindre le service pour le moment. Réessayez dans un instant.",
    tooLong: "Votre message est trop long (2 000 caractères maximum). Merci de le raccourcir.",
  };

  // ---- Storage: localStorage (shared by the tabs); in memory only what it refuses (blocked or full) ----
  const memory = {};
  const store = {
    get(key) {
      if (key in memory) return memory[key];
      try { return localStorage.getItem(key); } catch (e) { return null; }
    },
    set(key, value) {
      try { localStorage.setItem(key, value); delete memory[key]; } catch (e) { memory[key] = value; }
    },
    remove(key) {
      delete memory[key];
      try { localStorage.removeItem(key); } catch (e) { /* blocked */ }
    },
  };

  const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0"));
  const newSenderId = () => "web-" + hex(16).join("");
  const validSender = (id) => /^[\w-]{8,80}$/.test(id || "");
  const tabId = hex(8).join("");
  let entries = 0; // entries this tab added: their ids are tabId-1, tabId-2...

  // The saved transcript; every entry has an id (entries saved by older versions get one here).
  function loadTranscript() {
    let data = null;
    try { data = JSON.parse(store.get(KEY_LOG + senderId) || "[]"); } catch (e) { /* damaged: not shown */ }
    if (!Array.isArray(data)) return [];
    return data.filter((m) => m && typeof m === "object").map((m, i) => ({ ...m, id: String(m.id || "old-" + i) }));
  }

  // Every change is made to the saved transcript as it is now (another tab may have written it), then shown.
  function update(change) {
    const list = loadTranscript();
    change(list);
    store.set(KEY_LOG + senderId, JSON.stringify(list.slice(-MAX_SAVED)));
    show(list.slice(-MAX_SAVED));
  }
  const append = (list, entry) => list.push({ ...entry, id: `${tabId}-${++entries}` });

  let senderId = validSender(store.get(KEY_SENDER)) ? store.get(KEY_SENDER) : newSenderId();
  store.set(KEY_SENDER, senderId);
  let transcript = []; // the entries shown, as saved
  const nodes = new Map(); // entry id -> its element in the log
  let waiting = null; // timer while Colibri's answer is awaited (typing indicator)
  let socket = null;
  let pending = []; // messages typed before the socket is connected: sent once it is

  // ---- The writer: one tab appends Colibri's messages (each tab receives them) ----
  const isWriter = () => store.get(KEY_WRITER) === tabId;
  function claimWriter(always) {
    if (socket && socket.connected && (always || !store.get(KEY_WRITER))) store.set(KEY_WRITER, tabId);
  }
  const releaseWriter = () => { if (isWriter()) store.remove(KEY_WRITER); };

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
    const item = el("div", { class: `colibri-msg colibri-${entry.from}${entry.advisor ? " colibri-advisor" : ""}` });
    if (entry.advisor) { // the advisor's name above the bubble; screen readers hear « Julie (service client) : »
      item.append(el("p", { class: "colibri-author", text: entry.advisor + TEXT.advisor }, el("span", { class: "colibri-sr", text: " : " })));
    }
    if (entry.text) {
      const bubble = el("p", { class: "colibri-bubble" });
      if (!entry.advisor && entry.from !== "notice") {
        bubble.append(el("span", { class: "colibri-sr", text: entry.from === "user" ? TEXT.you : TEXT.bot }));
      }
      if (entry.from === "bot") appendLinkified(bubble, entry.text);
      else bubble.append(entry.text);
      item.append(bubble);
    }
    const src = entry.image && safeUrl(entry.image);
    if (src) item.append(el("img", { class: "colibri-image", src, alt: TEXT.image, loading: "lazy" }));
    if (Array.isArray(entry.buttons) && entry.buttons.length) item.append(renderButtons(entry));
    if (entry.id) nodes.set(entry.id, item);
    log.append(item);
    scrollToEnd();
  }

  // Buttons send their payload but show their title; the group is then disabled (`used`, saved).
  function renderButtons(entry) {
    const buttons = entry.buttons.map((b) => {
      const btn = el("button", { type: "button", class: "colibri-choice", text: b.title });
      btn.disabled = Boolean(entry.used);
      btn.addEventListener("click", () => { send(b.payload, b.title, entry.id); input.focus(); });
      return btn;
    });
    return el("div", { class: "colibri-buttons", role: "group", "aria-label": TEXT.choices }, ...buttons);
  }

  // Show the saved transcript `list`. When it goes on from what is shown (maybe without its oldest
  // entries), only the new entries are added, so the live log reads out only those; else the log is rebuilt.
  function show(list, rebuild) {
    const start = transcript.length ? transcript.findIndex((e) => e.id === (list[0] && list[0].id)) : 0;
    let kept = transcript.slice(Math.max(start, 0)); // start: how many of the shown entries were trimmed
    if (rebuild || start < 0 || kept.some((e, i) => !list[i] || e.id !== list[i].id)) {
      log.replaceChildren();
      nodes.clear();
      if (!list.length) notice(TEXT.welcome, "bot");
      kept = [];
    } else {
      transcript.slice(0, start).forEach((e) => { nodes.get(e.id).remove(); nodes.delete(e.id); });
    }
    kept.forEach((e, i) => nodes.get(e.id).querySelectorAll(".colibri-choice").forEach((btn) => {
      btn.disabled = Boolean(list[i].used); // a button used in another tab
    }));
    list.slice(kept.length).forEach(render);
    transcript = list;
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
    // An advisor's message: channels/web_chat.py adds the name the desk gave (the event's metadata.advisor).
    const advisor = message.metadata && message.metadata.advisor;
    if (typeof advisor === "string" && advisor.trim()) entry.advisor = advisor.trim().slice(0, 60);
    // `custom` payloads are not displayed. Every tab gets the message: the writer saves it, the others show it then.
    claimWriter(false);
    if (isWriter() && (entry.text || entry.image || (entry.buttons && entry.buttons.length))) {
      update((list) => append(list, entry));
    }
  }

  function setWaiting(on) {
    clearTimeout(waiting);
    // No answer in time: the error notice; a message still waiting for the connection is dropped.
    waiting = on ? setTimeout(() => { pending = []; setWaiting(false); notice(TEXT.error); }, TIMEOUT_MS) : null;
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
    // Every (re)connection asks for the current session (Rasa puts the socket in its room), then
    // sends what the customer typed meanwhile, in order.
    socket.on("connect", () => {
      socket.emit("session_request", { session_id: senderId });
      claimWriter(pending.length > 0); // this tab's messages: this tab saves the answers
      pending.splice(0).forEach((payload) => socket.emit("user_uttered", { message: payload, session_id: senderId }));
    });
    socket.on("session_confirm", () => { /* the session id is ours; nothing to do */ });
    socket.on("bot_uttered", (message) => {
      setWaiting(false);
      // Handled a moment later, after what other tabs have just saved (a message sent there makes it the writer).
      const session = senderId;
      setTimeout(() => { if (session === senderId) addBotMessage(message); }, SETTLE_MS);
    });
    socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect") { releaseWriter(); notice(TEXT.offline); }
    });
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

  // Show `shown` as the customer's message (and the buttons of entry `usedId` as used), send `payload`
  // to Rasa, at once or as soon as the socket is connected. This tab becomes the writer: it saves the
  // answer. False when there is no socket.io client at all.
  function send(payload, shown, usedId) {
    if (!socket) { notice(TEXT.error); return false; }
    claimWriter(true);
    update((list) => {
      list.forEach((e) => { if (e.id === usedId) e.used = true; });
      append(list, { from: "user", text: shown });
    });
    if (socket.connected) socket.emit("user_uttered", { message: payload, session_id: senderId });
    else pending.push(payload);
    setWaiting(true);
    return true;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (Array.from(text).length > MAX_CHARS) notice(TEXT.tooLong); // refused, text stays in the field
    else if (text && send(text, text)) input.value = ""; // not sent: the text stays in the field
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

  // Another session (new conversation here or in another tab): a new socket.io room, its transcript.
  function switchTo(id) {
    senderId = id;
    setWaiting(false);
    show(loadTranscript(), true);
    if (socket) { socket.disconnect(); socket.connect(); } // a new socket: out of the old room
  }

  resetBtn.addEventListener("click", () => {
    const id = newSenderId();
    claimWriter(true);
    store.set(KEY_SENDER, id); // the other tabs switch too (storage event)
    store.remove(KEY_LOG + senderId);
    switchTo(id);
    input.focus();
  });

  // ---- Other tabs: what they saved is shown here ----
  function syncFromStore() {
    const saved = store.get(KEY_SENDER);
    if (validSender(saved) && saved !== senderId) switchTo(saved);
    else show(loadTranscript());
  }
  window.addEventListener("storage", (event) => {
    if (event.key === KEY_WRITER && !event.newValue) claimWriter(false); // the writer left
    else if (event.key === KEY_SENDER || event.key === KEY_LOG + senderId) syncFromStore();
  });
  window.addEventListener("focus", () => claimWriter(true));
  window.addEventListener("pagehide", releaseWriter);
  window.addEventListener("pageshow", (event) => { if (event.persisted) syncFromStore(); }); // back from the cache

  // ---- Start: render the saved transcript, then attach (so it is not read aloud again) ----
  show(loadTranscript(), true);
  document.body.append(el("div", { class: "colibri-chat" }, launcher, panel));

  let savedOpen = null;
  try { savedOpen = sessionStorage.getItem(KEY_OPEN); } catch (e) { /* blocked */ }
  setOpen(savedOpen ? savedOpen === "1" : attr("data-open") === "true", false);
  updateCounter();
  loadClient();
})();
