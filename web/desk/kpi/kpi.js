/*
 * Colibri — tableau de bord des indicateurs clés (JavaScript simple, sans dépendance ni étape de build).
 *
 * Réservé aux comptes de l'espace conseillers (même session, cookie HttpOnly ; même formulaire de
 * connexion : web/desk/login.js). Les chiffres viennent de
 * GET /desk/api/kpi?from=AAAA-MM-JJ&to=AAAA-MM-JJ&channel=… : le même rapport que `make kpi`,
 * écrit de la même façon (taux en % à une décimale, temps en secondes à deux, virgule décimale).
 * Sécurité : tout texte passe par textContent, aucun HTML n'est interprété.
 * Tests : les éléments utiles portent un attribut data-testid stable.
 */
(function () {
  "use strict";

  const API = "/desk/api";
  const REQUEST_TIMEOUT_MS = 60000;
  const COMMENTS_SHOWN = 20;
  const NONE = "—";
  const TEXT = {
    ...ColibriLogin.TEXT, // unreachable, expired, loggedOut… (web/desk/login.js)
    loadFailed: "Impossible de calculer les indicateurs pour le moment. Réessayez dans un instant.",
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- formatting (as kpi/table.py)
  const isNone = (v) => v === null || v === undefined;
  const percent = (v) => (isNone(v) ? NONE : `${(v * 100).toFixed(1).replace(".", ",")} %`);
  const seconds = (v) => (isNone(v) ? NONE : `${v.toFixed(2).replace(".", ",")} s`);
  const mean = (v) => (isNone(v) ? NONE : `${v.toFixed(2).replace(".", ",")} / 5`);
  const share = (v, part, whole) => `${percent(v)} (${part} sur ${whole})`;
  const day = (iso) => iso.split("-").reverse().join("/");

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---------------------------------------------------------------- API
  // web/desk/api.js, the desk's client (same timeouts apart, same errors).
  const api = ColibriApi.client({ base: API, timeoutMs: REQUEST_TIMEOUT_MS });

  // ---------------------------------------------------------------- views
  const views = { loading: $("view-loading"), login: $("view-login"), kpi: $("view-kpi") };
  function showView(name) {
    for (const [key, view] of Object.entries(views)) view.hidden = key !== name;
  }

  // The advisors' login form and its messages: web/desk/login.js, the desk's.
  const login = ColibriLogin.setup({
    signIn: (credentials) => api("POST", "/login", credentials),
    show: () => {
      $("kpi-user").hidden = true;
      $("logout").hidden = true;
      showView("login");
    },
    signedIn,
  });

  function signedIn(me) {
    $("advisor-name").textContent = me.name || me.username || "";
    $("kpi-user").hidden = false;
    $("logout").hidden = false;
    showView("kpi");
    load(filtersFromAddress());
  }

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/logout", {}); } catch (e) { /* signed out anyway */ }
    login.show(TEXT.loggedOut);
  });

  // ---------------------------------------------------------------- filters
  const filters = $("kpi-filters");

  function filtersFromAddress() {
    const params = new URLSearchParams(window.location.search);
    return { from: params.get("from") || "", to: params.get("to") || "", channel: params.get("channel") || "" };
  }

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = { from: $("kpi-from").value, to: $("kpi-to").value, channel: $("kpi-channel").value };
    const params = new URLSearchParams(Object.entries(wanted).filter(([, v]) => v));
    history.replaceState(null, "", `${window.location.pathname}?${params}`);
    load(wanted);
  });

  async function load(wanted) {
    const params = new URLSearchParams(Object.entries(wanted).filter(([, v]) => v));
    const content = $("kpi-content");
    const error = $("kpi-error");
    content.setAttribute("aria-busy", "true");
    $("kpi-apply").disabled = true;
    try {
      const report = await api("GET", `/kpi?${params}`);
      error.hidden = true;
      render(report);
    } catch (e) {
      if (e.status === 401) {
        login.show(TEXT.expired);
        return;
      }
      error.textContent = (e.data && e.data.error) || (e.status === 0 ? TEXT.unreachable : TEXT.loadFailed);
      error.hidden = false;
    } finally {
      content.setAttribute("aria-busy", "false");
      $("kpi-apply").disabled = false;
    }
  }

  // ---------------------------------------------------------------- rendering
  function card(id, label, value, note) {
    const item = element("li", "kpi-card");
    item.dataset.testid = `kpi-${id}`;
    item.appendChild(element("p", "kpi-card-label", label));
    const shown = element("p", "kpi-card-value", value);
    shown.dataset.testid = `kpi-${id}-value`;
    item.appendChild(shown);
    if (note) item.appendChild(element("p", "kpi-card-note", note));
    return item;
  }

  function table(caption, header, rows, textColumns = []) {
    const grid = element("table", "kpi-table");
    if (caption) grid.appendChild(element("caption", "", caption));
    const head = grid.createTHead().insertRow();
    for (const title of header) {
      const th = element("th", "", title);
      th.scope = "col";
      head.appendChild(th);
    }
    const body = grid.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      row.forEach((value, i) => {
        const cell = element(i === 0 ? "th" : "td", textColumns.includes(i) ? "kpi-text" : "", value);
        if (i === 0) cell.scope = "row";
        tr.appendChild(cell);
      });
    }
    if (!rows.length) {
      const cell = body.insertRow().insertCell();
      cell.colSpan = header.length;
      cell.className = "kpi-text desk-empty";
      cell.textContent = "Aucune donnée sur la période";
    }
    return grid;
  }

  function details(list, pairs) {
    list.replaceChildren();
    for (const [term, value, testid] of pairs) {
      list.appendChild(element("dt", "", term));
      const dd = element("dd", "", value);
      if (testid) dd.dataset.testid = testid;
      list.appendChild(dd);
    }
  }

  function render(report) {
    const period = report.period;
    $("kpi-from").value = period.from;
    $("kpi-to").value = period.to;
    $("kpi-channel").value = period.channel || "";
    const channelName = period.channel ? $("kpi-channel").selectedOptions[0].textContent : "tous";
    $("kpi-period").textContent = `Du ${day(period.from)} au ${day(period.to)} · canal : ${channelName} · heure de Paris`;

    const usage = report.usage;
    const kept = report.retention;
    const times = report.response_time;
    const confused = report.confusion;
    const csat = report.satisfaction;
    const contained = report.containment;
    const handed = report.handoffs;

    $("kpi-cards").replaceChildren(
      card("conversations", "Conversations", usage.conversations, `${usage.customer_messages} messages des clients`),
      card("customers", "Clients distincts", usage.customers),
      card("new-customers", "Nouveaux clients", usage.new_customers, "première conversation"),
      card("active-customers", "Clients actifs", usage.active_customers, "au moins 2 conversations"),
      card("engaged-customers", "Clients engagés", usage.engaged_customers, "au moins 5 messages"),
      card("retention", "Taux de rétention", percent(kept.rate), `${kept.returned} sur ${kept.new_customers} nouveaux clients revenus`),
      card("response-p50", "Temps de réponse médian", seconds(times.p50), `p95 ${seconds(times.p95)} · max ${seconds(times.max)}`),
      card("confusion", "Taux de confusion", percent(confused.rate), `${confused.confused} sur ${confused.conversations} conversations`),
      card("csat", "Satisfaction (CSAT)", mean(csat.mean), `${csat.ratings} notes · réponse ${percent(csat.response_rate)}`),
      card("containment", "Taux d'autonomie", percent(contained.containment_rate), "sans conseiller"),
      card("handoff", "Taux de transfert", percent(handed.handoff_rate), `${handed.handoffs} transferts`),
    );

    const series = report.series;
    const labels = series.map((s) => s.label);
    const step = period.granularity === "week" ? "semaine" : "mois";
    const values = (key) => series.map((s) => s[key]);
    const count = (v) => String(Math.round(v));

    ColibriCharts.bars($("chart-usage"), { title: `Utilisation par ${step}`, labels, format: count, integer: true, series: [
      { name: "Conversations", values: values("conversations"), tone: 1 },
      { name: "Clients", values: values("customers"), tone: 3 },
      { name: "Nouveaux clients", values: values("new_customers"), tone: 2 }] });
    $("chart-usage-caption").textContent = `Par ${step}.`;

    ColibriCharts.bars($("chart-retention"), { title: `Taux de rétention par ${step}`, labels, format: percent, max: 1,
      series: [{ name: "Nouveaux clients revenus", values: values("retention_rate"), tone: 1 }] });
    $("chart-retention-caption").textContent = `Nouveaux clients de chaque ${step} revenus avant la fin de la période.`;
    const cohortRows = (rows) => rows.map((r) => [r.label, r.new_customers, r.returned, percent(r.rate)]);
    $("retention-months").replaceChildren(table("Par mois", ["Mois", "Nouveaux clients", "Revenus", "Taux"],
      cohortRows(kept.months)));
    $("retention-quarters").replaceChildren(table("Par trimestre", ["Trimestre", "Nouveaux clients", "Revenus", "Taux"],
      cohortRows(kept.quarters)));

    ColibriCharts.lines($("chart-response"), { title: `Temps de réponse par ${step}`, labels, format: seconds,
      series: [{ name: "Médiane (p50)", values: values("response_p50"), tone: 1 },
        { name: "95e centile (p95)", values: values("response_p95"), tone: 2 }] });
    $("chart-response-caption").textContent =
      `${times.messages} messages avec réponse · p50 ${seconds(times.p50)} · p95 ${seconds(times.p95)} · max ${seconds(times.max)}`;
    $("response-channels").replaceChildren(table("Par canal", ["Canal", "Messages", "p50", "p95", "Max"],
      times.channels.map((c) => [c.label, c.messages, seconds(c.p50), seconds(c.p95), seconds(c.max)])));

    ColibriCharts.lines($("chart-confusion"), { title: `Taux de confusion par ${step}`, labels, format: percent, max: 1,
      series: [{ name: "Conversations avec confusion", values: values("confusion_rate"), tone: 2 }] });
    $("chart-confusion-caption").textContent = `Sur la période : ${share(confused.rate, confused.confused, confused.conversations)}`;
    details($("confusion-details"), [
      ["Message non compris", confused.fallback],
      ["Reformulation demandée", confused.rephrase],
      ["Hors sujet", confused.out_of_scope],
      ["Transférées à un conseiller faute de compréhension",
        share(confused.redirected_rate, confused.redirected, confused.confused), "confusion-redirected"],
    ]);
    $("top-misunderstood").replaceChildren(table("", ["Message (données personnelles masquées)", "Fois", "Pourquoi"],
      report.top_misunderstood.map((m) => [m.text, m.count, m.reason_labels.join(", ")]), [0, 2]));

    ColibriCharts.lines($("chart-csat"), { title: `Note moyenne par ${step}`, labels, format: (v) => mean(v).replace(" / 5", ""),
      max: 5, series: [{ name: "Note moyenne (sur 5)", values: values("csat_mean"), tone: 1 }] });
    $("chart-csat-caption").textContent = `Note moyenne ${mean(csat.mean)} · ${csat.ratings} notes pour ${csat.surveys} ` +
      `enquêtes proposées · taux de réponse ${percent(csat.response_rate)}`;
    ColibriCharts.bars($("chart-distribution"), { title: "Répartition des notes", format: count, integer: true,
      labels: csat.distribution.map((d) => `${d.rating} ★`),
      series: [{ name: "Notes", values: csat.distribution.map((d) => d.count), tone: 3 }] });
    const comments = $("csat-comments");
    comments.replaceChildren();
    for (const c of csat.comments.slice(0, COMMENTS_SHOWN)) {
      const item = element("li", `kpi-comment${c.rating <= 2 ? " is-low" : ""}`);
      item.dataset.testid = "csat-comment";
      item.appendChild(element("p", "kpi-comment-meta", `${c.date} · ${c.rating}/5 · ${c.request_label}`));
      item.appendChild(element("p", "kpi-comment-text", c.comment));
      comments.appendChild(item);
    }
    if (!csat.comments.length) comments.appendChild(element("li", "desk-empty", "Aucun commentaire sur la période."));
    if (csat.comments.length > COMMENTS_SHOWN) {
      comments.appendChild(element("li", "desk-muted",
        `… et ${csat.comments.length - COMMENTS_SHOWN} autres : tous sont dans le CSV de make kpi.`));
    }

    ColibriCharts.lines($("chart-containment"), { title: `Autonomie et transferts par ${step}`, labels, format: percent,
      max: 1, series: [{ name: "Taux d'autonomie", values: values("containment_rate"), tone: 1 },
        { name: "Taux de transfert", values: values("handoff_rate"), tone: 2 }] });
    $("chart-containment-caption").textContent =
      `Autonomie ${share(contained.containment_rate, contained.contained, contained.conversations)} · ` +
      `transferts ${share(handed.handoff_rate, handed.handed_off, contained.conversations)}`;
    $("handoff-reasons").replaceChildren(table("Transferts par motif", ["Motif", "Transferts"],
      handed.reasons.map((r) => [r.label, r.count])));
    $("top-requests").replaceChildren(table("Demandes les plus fréquentes", ["Demande", "Conversations", "Part"],
      report.top_requests.map((r) => [r.label, r.conversations, percent(r.share)])));

    $("kpi-series").replaceChildren(table(`Par ${step}`,
      ["Période", "Conv.", "Clients", "Nouveaux", "Actifs", "Engagés", "Rétention", "Rép. p50", "Rép. p95",
        "Confusion", "CSAT", "Autonomie"],
      series.map((s) => [s.label, s.conversations, s.customers, s.new_customers, s.active_customers,
        s.engaged_customers, percent(s.retention_rate), seconds(s.response_p50), seconds(s.response_p95),
        percent(s.confusion_rate), mean(s.csat_mean), percent(s.containment_rate)])));
  }

  // ---------------------------------------------------------------- start
  (async function start() {
    try {
      signedIn(await api("GET", "/me"));
    } catch (e) {
      login.show(e.status === 401 ? "" : TEXT.unreachable);
    }
  })();
})();
