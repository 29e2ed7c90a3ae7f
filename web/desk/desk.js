/*
 * Colibri — espace conseillers (JavaScript simple, sans dépendance ni étape de build).
 *
 * Les conseillers s'y connectent, voient la file d'attente des conversations que Colibri
 * transmet à un humain, en prennent une, répondent au client puis rendent la main à Colibri.
 * Ils traitent aussi les demandes de rappel et de réponse par e-mail.
 *
 * La connexion (formulaire, messages) est celle de login.js, partagée avec les indicateurs.
 * API (même origine, JSON, session par cookie) : /desk/api/login, logout, me, queue,
 *   handoffs/<id>/take, handoffs/<id>/messages (GET ?after=n, POST), handoffs/<id>/close,
 *   tickets, tickets/<number>/done.
 * Sécurité : tout texte venu de l'API passe par textContent ou createTextNode, aucun HTML n'est interprété ; toutes les
 *   requêtes partent avec credentials "same-origin" et les requêtes qui modifient quelque chose
 *   portent "Content-Type: application/json" (le serveur refuse les autres).
 * Tests : les éléments utiles portent un attribut data-testid stable.
 */
(function () {
  "use strict";

  const API = "/desk/api";
  const MAX_CHARS = 2000;
  const QUEUE_MS = 2000;
  const MESSAGES_MS = 1000;
  const TICKETS_MS = 10000;
  const REQUEST_TIMEOUT_MS = 15000;
  const LATE_SECONDS = 300; // a customer waiting this long is highlighted
  const KEY_CURRENT = "colibri.desk.current";
  const TITLE = "Colibri — Espace conseillers";

  const CHANNELS = { rest: "API", socketio: "Chat web", facebook: "Messenger" };
  const KINDS = { callback: "Rappel", email: "Réponse par e-mail", handoff: "Transfert" };
  const SLOTS = { matin: "Matin", "après-midi": "Après-midi", "apres-midi": "Après-midi", soir: "Soir" };
  const TICKET_STATUS = { open: "À traiter", done: "Traité" };
  const ROLES = { customer: "Client", bot: "Colibri", advisor: "Conseiller" };

  const TEXT = {
    ...ColibriLogin.TEXT, // badLogin, unreachable, expired, loggedOut… (web/desk/login.js)
    logoutFailed: "La déconnexion a échoué. Réessayez dans un instant.",
    connectionLost: "Connexion au serveur perdue. Nouvelle tentative en cours…",
    takeFailed: "Impossible de prendre cette conversation pour le moment. Réessayez.",
    gone: "Cette conversation n'est plus disponible.",
    closedNote: "Cette conversation est clôturée : Colibri a repris la main. Vous ne pouvez plus y répondre.",
    notMine: "Cette conversation ne vous est plus attribuée : vous ne pouvez plus y répondre.",
    unknownConv: "Cette conversation est introuvable.",
    confirmClose: "Clôturer cette conversation et rendre la main à Colibri ?\n\nLe client sera de nouveau servi par l'assistant.",
    closed: "Conversation clôturée : Colibri a repris la main.",
    closeFailed: "La clôture a échoué. Réessayez dans un instant.",
    tooLong: "Votre message est trop long (2 000 caractères maximum). Merci de le raccourcir.",
    refused: "Message refusé : il est vide ou trop long (2 000 caractères maximum).",
    sendFailed: "L'envoi a échoué. Votre message est conservé : réessayez.",
    ticketsFailed: "Impossible de charger les demandes pour le moment.",
    doneFailed: "Impossible de marquer cette demande comme traitée. Réessayez.",
  };

  // ---------------------------------------------------------------- DOM helpers
  const $ = (id) => document.getElementById(id);

  // el("p", {class: "x", text: "..."}, child...) : text always goes through textContent.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  const str = (value) => (value === null || value === undefined ? "" : String(value));
  const channelLabel = (channel) => CHANNELS[channel] || str(channel) || "Inconnu";
  const kindLabel = (kind) => KINDS[kind] || str(kind);
  const slotLabel = (slot) => SLOTS[str(slot).toLowerCase()] || str(slot);
  const plural = (n, one, many) => `${n} ${n > 1 ? many : one}`;

  function shorten(text, max) {
    const chars = Array.from(str(text));
    return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : chars.join("");
  }

  function formatWait(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return "moins d'1 min";
    const minutes = Math.floor(s / 60);
    if (minutes < 60) return `${minutes} min`;
    const h = Math.floor(minutes / 60);
    return `${h} h ${String(minutes % 60).padStart(2, "0")}`;
  }

  function parseDate(iso) {
    const d = new Date(str(iso));
    return Number.isNaN(d.getTime()) ? null : d;
  }

  function formatDateTime(iso) {
    const d = parseDate(iso);
    if (!d) return str(iso);
    return d.toLocaleString("fr-FR", { dateStyle: "long", timeStyle: "short" });
  }

  function formatTime(iso) {
    const d = parseDate(iso);
    return d ? d.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }) : "";
  }

  // Announcements for screen readers; emptied first so the same text is read again.
  const announcer = $("desk-announcer");
  function announce(text) {
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 60);
  }

  // A note that goes away by itself after a while (0 = stays).
  const noteTimers = new Map();
  function setNote(node, text, ms) {
    clearTimeout(noteTimers.get(node));
    node.textContent = text || "";
    if (text && ms) noteTimers.set(node, setTimeout(() => { node.textContent = ""; }, ms));
  }

  // ---------------------------------------------------------------- API
  const banner = $("desk-banner");
  function setOnline(online) {
    if (online) { if (banner.textContent) banner.textContent = ""; }
    else if (state.advisor && banner.textContent !== TEXT.connectionLost) banner.textContent = TEXT.connectionLost;
  }

  // web/desk/api.js: a 401 on an authenticated call means the session expired.
  const api = ColibriApi.client({
    base: API, timeoutMs: REQUEST_TIMEOUT_MS,
    onAnswer: (status) => setOnline(status > 0 && status < 500),
    onUnauthorized: () => sessionExpired(),
  });

  // ---------------------------------------------------------------- polling
  // fn runs, then again `ms` after it finished (never two at once). now(): run as soon as possible.
  function poller(fn, ms) {
    let timer = null;
    let running = false;
    let active = false;
    let again = false;
    async function tick() {
      clearTimeout(timer);
      timer = null;
      if (!active) return;
      if (running) { again = true; return; }
      running = true;
      try { await fn(); } catch (e) { /* each poll handles its own errors */ }
      running = false;
      if (!active) return;
      if (again) { again = false; tick(); } else timer = setTimeout(tick, ms);
    }
    return {
      start() { if (!active) { active = true; tick(); } },
      stop() { active = false; again = false; clearTimeout(timer); timer = null; },
      now() { if (active) tick(); },
    };
  }

  // Keeps `list`'s children in step with `items` without rebuilding the ones that did not change
  // (so focus and reading position survive the polling).
  function syncList(list, items, keyOf, signatureOf, build) {
    const existing = new Map();
    for (const child of Array.from(list.children)) existing.set(child.dataset.key, child);
    const kept = new Set();
    let previous = null;
    for (const item of items) {
      const key = String(keyOf(item));
      const signature = signatureOf(item);
      let node = existing.get(key);
      if (!node || node.dataset.sig !== signature) {
        const fresh = build(item);
        fresh.dataset.key = key;
        fresh.dataset.sig = signature;
        if (node) {
          const hadFocus = node.contains(document.activeElement);
          node.replaceWith(fresh);
          if (hadFocus) (fresh.querySelector("button:not([disabled])") || fresh).focus();
        }
        node = fresh;
      }
      kept.add(key);
      const expected = previous ? previous.nextElementSibling : list.firstElementChild;
      if (node !== expected) list.insertBefore(node, expected);
      previous = node;
    }
    for (const [key, node] of existing) if (!kept.has(key)) node.remove();
  }

  // ---------------------------------------------------------------- state
  const state = {
    advisor: null, // {username, name}
    waitBase: new Map(), // handoff id -> {seconds, at}: waiting time as of the last poll
    knownWaiting: null, // ids seen waiting (null before the first poll: nothing is "new")
    mine: [],
    current: null, // the open conversation
    tickets: [],
    restoreId: null, // conversation to reopen after a reload
  };
  let convGeneration = 0;

  const views = { loading: $("view-loading"), login: $("view-login"), desk: $("view-desk") };
  function showView(name) {
    for (const [key, node] of Object.entries(views)) node.hidden = key !== name;
    document.body.classList.toggle("is-desk", name === "desk");
    $("desk-user").hidden = name !== "desk";
  }

  // ---------------------------------------------------------------- login / logout
  // The form and its messages: web/desk/login.js, shared with the KPI dashboard.
  const login = ColibriLogin.setup({
    signIn: (credentials) => api("POST", "/login", credentials, { auth: false }),
    show: () => {
      showView("login");
      document.title = TITLE;
    },
    signedIn: (me) => startDesk(me, true),
  });

  $("logout").addEventListener("click", async () => {
    const button = $("logout");
    button.disabled = true;
    try {
      await api("POST", "/logout", {}, { auth: false });
    } catch (e) {
      if (e.status !== 401) {
        banner.textContent = TEXT.logoutFailed;
        button.disabled = false;
        return;
      }
    }
    button.disabled = false;
    try { sessionStorage.removeItem(KEY_CURRENT); } catch (e) { /* blocked */ }
    stopDesk();
    login.show(TEXT.loggedOut);
  });

  function sessionExpired() {
    if (!state.advisor) return;
    stopDesk();
    login.show(TEXT.expired);
  }

  // ---------------------------------------------------------------- desk start / stop
  const queuePoller = poller(pollQueue, QUEUE_MS);
  const ticketsPoller = poller(pollTickets, TICKETS_MS);
  let waitTicker = null;

  function startDesk(me, moveFocus) {
    state.advisor = { username: str(me.username), name: str(me.name) || str(me.username) };
    $("advisor-name").textContent = state.advisor.name;
    banner.textContent = "";
    try { state.restoreId = sessionStorage.getItem(KEY_CURRENT); } catch (e) { state.restoreId = null; }
    showView("desk");
    selectTab("conversations", false);
    queuePoller.start();
    ticketsPoller.start();
    clearInterval(waitTicker);
    waitTicker = setInterval(updateWaits, 1000);
    if (moveFocus) $("queue-title").focus();
  }

  function stopDesk() {
    state.advisor = null;
    queuePoller.stop();
    ticketsPoller.stop();
    clearInterval(waitTicker);
    waitTicker = null;
    clearConversation();
    $("queue").replaceChildren();
    $("my-conversations").replaceChildren();
    $("tickets").replaceChildren();
    $("advisor-name").textContent = "";
    for (const id of ["queue-notice", "tickets-notice", "conv-empty-note", "queue-online", "waiting-count", "tickets-count"]) {
      setNote($(id), "");
    }
    banner.textContent = "";
    state.waitBase = new Map();
    state.knownWaiting = null;
    state.mine = [];
    state.tickets = [];
    document.title = TITLE;
  }

  // ---------------------------------------------------------------- tabs
  const tabs = { conversations: $("tab-conversations"), tickets: $("tab-tickets") };
  const panels = { conversations: $("panel-conversations"), tickets: $("panel-tickets") };

  function selectTab(name, moveFocus) {
    for (const [key, tab] of Object.entries(tabs)) {
      const selected = key === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      panels[key].hidden = !selected;
    }
    if (moveFocus) tabs[name].focus();
    if (name === "tickets") ticketsPoller.now();
  }

  const tabOrder = Object.keys(tabs);
  for (const [name, tab] of Object.entries(tabs)) {
    tab.addEventListener("click", () => selectTab(name, false));
    tab.addEventListener("keydown", (event) => {
      const i = tabOrder.indexOf(name);
      let target = null;
      if (event.key === "ArrowRight") target = tabOrder[(i + 1) % tabOrder.length];
      else if (event.key === "ArrowLeft") target = tabOrder[(i - 1 + tabOrder.length) % tabOrder.length];
      else if (event.key === "Home") target = tabOrder[0];
      else if (event.key === "End") target = tabOrder[tabOrder.length - 1];
      if (target) { event.preventDefault(); selectTab(target, true); }
    });
  }

  // ---------------------------------------------------------------- queue
  const queueList = $("queue");
  const mineList = $("my-conversations");
  const queueNotice = $("queue-notice");

  function summaryBlock(summary) {
    const s = summary && typeof summary === "object" ? summary : {};
    const block = el("div", { class: "summary" });
    const details = el("dl", { class: "summary-details" });
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      details.append(el("div", { class: "summary-row" }, el("dt", { text: label }), el("dd", { text: value })));
    };
    add("Demande", s.request);
    add("E-mail", s.email);
    add("Commande vérifiée", s.order);
    if (details.children.length) block.append(details);
    const last = Array.isArray(s.last_messages) ? s.last_messages.filter((m) => m && m.text) : [];
    if (last.length) {
      const list = el("ol", { class: "summary-messages", "aria-label": "Derniers messages" });
      for (const m of last) {
        list.append(el("li", { class: "summary-msg summary-msg--" + (ROLES[m.role] ? m.role : "other") },
          el("span", { class: "summary-role", text: (ROLES[m.role] || str(m.role)) + " : " }),
          document.createTextNode(shorten(m.text, 280))));
      }
      block.append(list);
    }
    return block;
  }

  // Everything but the waiting time (which changes at every poll and is updated in place).
  const handoffSignature = (h) => JSON.stringify([h.status, h.reason, h.reason_label, h.channel, h.advisor, h.summary]);
  const reasonOf = (h) => str(h.reason_label) || str(h.reason) || "Demande d'aide";

  function buildWaitingItem(h) {
    const id = str(h.id);
    const titleId = "queue-reason-" + id;
    const wait = el("span", { class: "queue-wait", "data-handoff-id": id });
    const button = el("button", {
      type: "button", class: "btn btn-primary", "data-testid": "take-button", "aria-describedby": titleId, text: "Prendre",
    });
    button.addEventListener("click", () => take(h, button));
    return el("li", { class: "queue-item", "data-testid": "queue-item", "data-handoff-id": id },
      el("div", { class: "queue-top" },
        el("h3", { id: titleId, class: "queue-reason", text: reasonOf(h) }),
        el("span", { class: "tag tag-channel", text: channelLabel(h.channel) })),
      el("p", { class: "queue-waiting" }, "En attente depuis ", wait),
      summaryBlock(h.summary),
      el("div", { class: "queue-actions" }, button));
  }

  function buildMineItem(h) {
    const id = str(h.id);
    const titleId = "mine-reason-" + id;
    const s = h.summary && typeof h.summary === "object" ? h.summary : {};
    const button = el("button", {
      type: "button", class: "btn btn-outline btn-small", "data-testid": "open-conversation",
      "aria-describedby": titleId, text: "Ouvrir",
    });
    button.addEventListener("click", () => openConversation(h, true));
    return el("li", { class: "mine-item", "data-testid": "my-conversation", "data-handoff-id": id },
      el("div", { class: "mine-text" },
        el("h3", { id: titleId, class: "mine-reason", text: reasonOf(h) }),
        el("p", { class: "mine-meta" },
          el("span", { class: "tag tag-channel", text: channelLabel(h.channel) }),
          s.request ? " " + shorten(s.request, 90) : null)),
      button);
  }

  function updateWaits() {
    const now = performance.now();
    for (const span of queueList.querySelectorAll(".queue-wait")) {
      const base = state.waitBase.get(span.dataset.handoffId);
      if (!base) continue;
      const seconds = base.seconds + (now - base.at) / 1000;
      const text = formatWait(seconds);
      if (span.textContent !== text) span.textContent = text;
      span.closest(".queue-item").classList.toggle("is-late", seconds >= LATE_SECONDS);
    }
  }

  function waitingSeconds(h) {
    const n = Number(h.waiting_seconds);
    if (Number.isFinite(n)) return n;
    const created = parseDate(h.created_at);
    return created ? (Date.now() - created.getTime()) / 1000 : 0;
  }

  function markCurrent() {
    const currentId = state.current ? str(state.current.id) : null;
    for (const li of mineList.children) {
      const isCurrent = li.dataset.handoffId === currentId;
      li.classList.toggle("is-current", isCurrent);
      if (isCurrent) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
      const button = li.querySelector("button");
      if (button) button.textContent = isCurrent ? "Affichée" : "Ouvrir";
    }
  }

  async function pollQueue() {
    let data;
    try {
      data = await api("GET", "/queue");
    } catch (e) {
      return;
    }
    if (!state.advisor) return;
    const waiting = (Array.isArray(data.waiting) ? data.waiting : []).filter((h) => h && h.id !== undefined);
    const mine = (Array.isArray(data.mine) ? data.mine : []).filter((h) => h && h.id !== undefined);

    const now = performance.now();
    state.waitBase = new Map(waiting.map((h) => [str(h.id), { seconds: waitingSeconds(h), at: now }]));
    syncList(queueList, waiting, (h) => h.id, handoffSignature, buildWaitingItem);
    updateWaits();
    $("queue-empty").hidden = waiting.length > 0;

    state.mine = mine;
    syncList(mineList, mine, (h) => h.id, handoffSignature, buildMineItem);
    $("mine-empty").hidden = mine.length > 0;
    markCurrent();

    const online = Number(data.online_advisors);
    $("queue-online").textContent = Number.isFinite(online) ? plural(online, "conseiller en ligne", "conseillers en ligne") : "";
    $("waiting-count").textContent = waiting.length ? `(${waiting.length})` : "";
    document.title = waiting.length ? `(${waiting.length}) ${TITLE}` : TITLE;

    // New customers waiting: said aloud (not on the first load).
    const ids = new Set(waiting.map((h) => str(h.id)));
    if (state.knownWaiting) {
      const fresh = waiting.filter((h) => !state.knownWaiting.has(str(h.id)));
      if (fresh.length === 1) announce(`Nouvelle demande dans la file d'attente : ${reasonOf(fresh[0])}.`);
      else if (fresh.length > 1) announce(`${fresh.length} nouvelles demandes dans la file d'attente.`);
    }
    state.knownWaiting = ids;

    // The open conversation: keep its header up to date.
    if (state.current) {
      const h = mine.find((m) => str(m.id) === str(state.current.id));
      if (h) renderConvHeader(h);
    }
    // After a reload, reopen the conversation that was open.
    if (state.restoreId !== null) {
      const h = mine.find((m) => str(m.id) === state.restoreId);
      state.restoreId = null;
      if (h && !state.current) openConversation(h, false);
    }
  }

  async function take(h, button) {
    button.disabled = true;
    setNote(queueNotice, "");
    try {
      const taken = await api("POST", `/handoffs/${encodeURIComponent(h.id)}/take`);
      openConversation(taken && taken.id !== undefined ? taken : h, true);
      announce(`Conversation prise en charge : ${reasonOf(h)}.`);
    } catch (e) {
      if (e.status === 409) {
        setNote(queueNotice, e.data.advisor ? `Déjà pris par ${e.data.advisor}` : TEXT.gone, 10000);
      } else if (e.status === 404) {
        setNote(queueNotice, TEXT.gone, 10000);
      } else if (e.status !== 401) {
        setNote(queueNotice, TEXT.takeFailed, 10000);
        button.disabled = false;
      }
    }
    queuePoller.now();
  }

  // ---------------------------------------------------------------- conversation
  const convBox = $("conv");
  const convEmpty = $("conv-empty");
  const transcript = $("transcript");
  const replyForm = $("reply-form");
  const replyInput = $("reply-input");
  const replySend = $("reply-send");
  const replyError = $("reply-error");
  const replyCounter = $("reply-counter");
  const closeButton = $("close-button");
  const convEnded = $("conv-ended");
  const convDismiss = $("conv-dismiss");

  function renderConvHeader(h) {
    const conv = state.current;
    if (!conv) return;
    const signature = handoffSignature(h) + str(h.conversation_id);
    if (conv.headerSig === signature) return;
    conv.headerSig = signature;
    conv.handoff = h;
    $("conv-title").textContent = reasonOf(h);
    $("conv-meta").replaceChildren(
      el("span", { class: "tag tag-channel", text: channelLabel(h.channel) }),
      h.conversation_id ? el("span", { class: "conv-id", text: `Conversation ${h.conversation_id}` }) : "");
    const s = h.summary && typeof h.summary === "object" ? h.summary : {};
    const details = $("conv-details");
    details.replaceChildren();
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      details.append(el("div", { class: "summary-row" }, el("dt", { text: label }), el("dd", { text: value })));
    };
    add("Demande du client", s.request);
    add("E-mail", s.email);
    add("Commande vérifiée", s.order);
    details.hidden = !details.children.length;
  }

  function setReplyEnabled(enabled) {
    replyInput.disabled = !enabled;
    replySend.disabled = !enabled;
    closeButton.disabled = !enabled;
  }

  function updateCounter() {
    const n = Array.from(replyInput.value).length;
    replyCounter.textContent = `${n} / ${MAX_CHARS}`;
    replyCounter.classList.toggle("is-near", n > MAX_CHARS - 100);
    replyCounter.classList.toggle("is-over", n > MAX_CHARS);
  }

  function openConversation(h, moveFocus) {
    if (state.current && str(state.current.id) === str(h.id)) {
      renderConvHeader(h);
      if (moveFocus && !replyInput.disabled) replyInput.focus();
      return;
    }
    clearConversation();
    const conv = {
      id: h.id, handoff: h, headerSig: null, next: 0, status: h.status || "taken", ended: false,
      rendered: new Map(), // message index -> node
      pending: [], // our messages sent but not yet seen in the poll (no index in the answer)
      loaded: false, generation: ++convGeneration, poller: null,
    };
    state.current = conv;
    try { sessionStorage.setItem(KEY_CURRENT, str(h.id)); } catch (e) { /* blocked */ }
    setNote($("conv-empty-note"), "");
    renderConvHeader(h);
    transcript.replaceChildren();
    transcript.setAttribute("aria-busy", "true");
    convEnded.textContent = "";
    convDismiss.hidden = true;
    replyError.textContent = "";
    replyInput.value = "";
    updateCounter();
    setReplyEnabled(true);
    convEmpty.hidden = true;
    convBox.hidden = false;
    markCurrent();
    conv.poller = poller(() => pollMessages(conv), MESSAGES_MS);
    conv.poller.start();
    if (moveFocus) replyInput.focus();
  }

  function clearConversation() {
    const conv = state.current;
    if (conv && conv.poller) conv.poller.stop();
    state.current = null;
    transcript.replaceChildren();
    convBox.hidden = true;
    convEmpty.hidden = false;
    replyInput.value = "";
    markCurrent();
  }

  function endConversation(conv, note) {
    if (conv.ended) return;
    conv.ended = true;
    if (conv.poller) conv.poller.stop();
    setReplyEnabled(false);
    convEnded.textContent = note;
    convDismiss.hidden = false;
    scrollToEnd();
  }

  function isNearBottom() {
    return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 60;
  }
  const scrollToEnd = () => { transcript.scrollTop = transcript.scrollHeight; };

  function buildMessage(m, pending) {
    const role = str(m.role);
    const known = ROLES[role] ? role : "other";
    const node = el("div", {
      class: `msg msg--${known}${pending ? " is-pending" : ""}`, "data-testid": "message", "data-role": role,
      "data-index": Number.isInteger(m.index) ? String(m.index) : null,
    });
    const who = el("p", { class: "msg-who" });
    if (role === "advisor") {
      const name = str(m.advisor) || (pending && state.advisor ? state.advisor.name : "");
      if (name) who.append(el("span", { class: "msg-name", text: name }), " ");
      who.append(el("span", { class: "tag tag-advisor", text: "Conseiller" }));
    } else {
      who.append(el("span", { class: "msg-name", text: ROLES[role] || role || "?" }));
    }
    const time = formatTime(m.at);
    if (pending) who.append(el("span", { class: "msg-time", text: "envoi…" }));
    else if (time) who.append(el("time", { class: "msg-time", datetime: str(m.at), text: time }));
    node.append(who, el("p", { class: "msg-text", text: str(m.text) }));
    return node;
  }

  // Messages are kept in index order; pending ones (no index yet) stay at the end.
  function insertMessage(node, index) {
    let ref = null;
    for (let child = transcript.lastElementChild; child; child = child.previousElementSibling) {
      const childIndex = child.dataset.index;
      if (childIndex === undefined || (index !== null && Number(childIndex) > index)) { ref = child; continue; }
      break;
    }
    transcript.insertBefore(node, ref);
  }

  function addMessage(conv, m) {
    if (!m || typeof m !== "object") return;
    const index = Number.isInteger(m.index) ? m.index : null;
    if (index !== null && conv.rendered.has(index)) return;
    const node = buildMessage(m, false);
    if (m.role === "advisor") {
      const i = conv.pending.findIndex((p) => p.text === str(m.text).trim());
      if (i >= 0) {
        const [p] = conv.pending.splice(i, 1);
        p.node.remove();
      }
    }
    insertMessage(node, index);
    if (index !== null) conv.rendered.set(index, node);
  }

  async function pollMessages(conv) {
    let data;
    try {
      data = await api("GET", `/handoffs/${encodeURIComponent(conv.id)}/messages?after=${conv.next}`);
    } catch (e) {
      if (conv !== state.current) return;
      if (e.status === 403) endConversation(conv, TEXT.notMine);
      else if (e.status === 404) endConversation(conv, TEXT.unknownConv);
      return;
    }
    if (conv !== state.current) return;
    const stick = !conv.loaded || isNearBottom();
    const messages = Array.isArray(data.messages) ? data.messages : [];
    messages.forEach((m) => addMessage(conv, m));
    if (Number.isInteger(data.next) && data.next > conv.next) conv.next = data.next;
    if (messages.length && stick) scrollToEnd();
    if (!conv.loaded) { conv.loaded = true; transcript.removeAttribute("aria-busy"); }
    if (data.status) conv.status = data.status;
    if (data.status === "closed") endConversation(conv, TEXT.closedNote);
  }

  async function sendReply() {
    const conv = state.current;
    if (!conv || conv.ended || conv.sending) return;
    const text = replyInput.value.trim();
    if (!text) { replyInput.focus(); return; } // nothing to send
    if (Array.from(text).length > MAX_CHARS) { replyError.textContent = TEXT.tooLong; return; }
    replyError.textContent = "";
    conv.sending = true;
    replySend.disabled = true;
    replyInput.readOnly = true;
    const nextBefore = conv.next;
    try {
      const data = await api("POST", `/handoffs/${encodeURIComponent(conv.id)}/messages`, { text });
      if (conv !== state.current) return;
      replyInput.value = "";
      updateCounter();
      const me = state.advisor ? state.advisor.name : "";
      const index = data && Number.isInteger(data.index) ? data.index : null;
      if (index !== null) {
        addMessage(conv, { index, role: "advisor", text, at: new Date().toISOString(), advisor: me });
      } else {
        // No index in the answer: shown now as "pending", replaced when the poll brings it
        // (unless the poll already did while we were waiting).
        const arrived = Array.from(conv.rendered.entries()).some(([i, node]) => i >= nextBefore
          && node.dataset.role === "advisor" && node.querySelector(".msg-text").textContent.trim() === text);
        if (!arrived) {
          const node = buildMessage({ role: "advisor", text, advisor: me }, true);
          conv.pending.push({ text, node });
          insertMessage(node, null);
        }
      }
      scrollToEnd();
      conv.poller.now();
    } catch (e) {
      if (conv !== state.current) return;
      if (e.status === 409) endConversation(conv, TEXT.closedNote);
      else if (e.status === 403) endConversation(conv, TEXT.notMine);
      else if (e.status === 404) endConversation(conv, TEXT.unknownConv);
      else if (e.status === 400) replyError.textContent = TEXT.refused;
      else if (e.status !== 401) replyError.textContent = TEXT.sendFailed;
    } finally {
      conv.sending = false;
      replyInput.readOnly = false;
      if (conv === state.current && !conv.ended) {
        replySend.disabled = false;
        replyInput.focus();
      }
    }
  }

  convDismiss.addEventListener("click", () => {
    try { sessionStorage.removeItem(KEY_CURRENT); } catch (e) { /* blocked */ }
    clearConversation();
    $("queue-title").focus();
  });

  replyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });

  // Enter sends, Shift+Enter adds a new line (ignored while an IME is composing).
  replyInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply();
    }
  });
  replyInput.addEventListener("input", () => {
    updateCounter();
    if (replyError.textContent === TEXT.tooLong && Array.from(replyInput.value.trim()).length <= MAX_CHARS) {
      replyError.textContent = "";
    }
  });

  closeButton.addEventListener("click", async () => {
    const conv = state.current;
    if (!conv || conv.ended) return;
    if (!window.confirm(TEXT.confirmClose)) return;
    closeButton.disabled = true;
    try {
      await api("POST", `/handoffs/${encodeURIComponent(conv.id)}/close`);
      if (conv !== state.current) return;
      try { sessionStorage.removeItem(KEY_CURRENT); } catch (e) { /* blocked */ }
      clearConversation();
      setNote($("conv-empty-note"), TEXT.closed, 15000);
      $("queue-title").focus();
    } catch (e) {
      if (conv !== state.current) return;
      if (e.status === 409) endConversation(conv, TEXT.closedNote);
      else if (e.status === 403) endConversation(conv, TEXT.notMine);
      else if (e.status === 404) endConversation(conv, TEXT.unknownConv);
      else if (e.status !== 401) { replyError.textContent = TEXT.closeFailed; closeButton.disabled = false; }
    }
    queuePoller.now();
  });

  // ---------------------------------------------------------------- tickets
  const ticketsList = $("tickets");
  const ticketsNotice = $("tickets-notice");

  function sortTickets(tickets) {
    const time = (t) => { const d = parseDate(t.created_at); return d ? d.getTime() : 0; };
    const open = tickets.filter((t) => t.status !== "done").sort((a, b) => time(a) - time(b)); // oldest first
    const done = tickets.filter((t) => t.status === "done").sort((a, b) => time(b) - time(a)); // latest first
    return open.concat(done);
  }

  function buildTicket(t) {
    const number = str(t.number);
    const isDone = t.status === "done";
    const titleId = "ticket-title-" + number.replace(/[^\w-]/g, "_");
    const fields = el("dl", { class: "ticket-fields" });
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      fields.append(el("div", { class: "summary-row" }, el("dt", { text: label }), el("dd", {}, value)));
    };
    if (t.phone) {
      const digits = str(t.phone).replace(/[^\d+]/g, "");
      add("Téléphone", digits ? el("a", { href: "tel:" + digits, text: str(t.phone) }) : str(t.phone));
    }
    if (t.slot) add("Créneau souhaité", slotLabel(t.slot));
    if (t.email) {
      const email = str(t.email);
      add("E-mail", /^[^\s@<>"]+@[^\s@<>"]+$/.test(email) ? el("a", { href: "mailto:" + email, text: email }) : email);
    }
    if (t.question) add("Question", str(t.question));
    if (t.reason) add("Motif", str(t.reason));
    add("Créée le", formatDateTime(t.created_at));
    if (t.conversation_id) add("Conversation", str(t.conversation_id));

    const li = el("li", {
      class: "ticket" + (isDone ? " is-done" : ""), "data-testid": "ticket", "data-ticket-number": number,
      "aria-labelledby": titleId, tabindex: "-1",
    },
    el("div", { class: "ticket-head" },
      el("h3", { id: titleId, class: "ticket-title", text: `N° ${number} · ${kindLabel(t.kind)}` }),
      el("span", { class: "tag " + (isDone ? "tag-done" : "tag-open"), text: TICKET_STATUS[t.status] || str(t.status) })),
    fields);
    if (!isDone) {
      const button = el("button", {
        type: "button", class: "btn btn-outline", "data-testid": "ticket-done", "aria-describedby": titleId,
        text: "Marquer comme traité",
      });
      button.addEventListener("click", () => markDone(t, button));
      li.append(el("div", { class: "ticket-actions" }, button));
    }
    return li;
  }

  function renderTickets() {
    const tickets = sortTickets(state.tickets);
    syncList(ticketsList, tickets, (t) => t.number, (t) => JSON.stringify(t), buildTicket);
    $("tickets-empty").hidden = tickets.length > 0;
    const open = tickets.filter((t) => t.status !== "done").length;
    $("tickets-count").textContent = open ? `(${open})` : "";
  }

  async function pollTickets() {
    let data;
    try {
      data = await api("GET", "/tickets");
    } catch (e) {
      if (e.status !== 401 && e.status !== 0 && state.advisor) setNote(ticketsNotice, TEXT.ticketsFailed, 10000);
      return;
    }
    if (!state.advisor) return;
    state.tickets = (Array.isArray(data.tickets) ? data.tickets : []).filter((t) => t && t.number !== undefined);
    renderTickets();
  }

  async function markDone(t, button) {
    button.disabled = true;
    const number = str(t.number);
    try {
      const updated = await api("POST", `/tickets/${encodeURIComponent(number)}/done`);
      const fresh = updated && updated.number !== undefined ? updated : { ...t, status: "done" };
      state.tickets = state.tickets.map((x) => (str(x.number) === number ? fresh : x));
      renderTickets();
      const node = Array.from(ticketsList.children).find((li) => li.dataset.ticketNumber === number);
      if (node) node.focus();
      setNote(ticketsNotice, `Demande n° ${number} marquée comme traitée.`, 8000);
    } catch (e) {
      if (e.status !== 401) {
        setNote(ticketsNotice, TEXT.doneFailed, 10000);
        button.disabled = false;
      }
      ticketsPoller.now();
    }
  }

  // ---------------------------------------------------------------- start
  async function init() {
    try {
      const me = await api("GET", "/me", null, { auth: false });
      startDesk(me, false);
    } catch (e) {
      login.show(e.status === 0 ? TEXT.unreachable : "");
    }
  }

  init();
})();
