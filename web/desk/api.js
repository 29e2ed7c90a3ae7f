/*
 * Colibri — appels à l'API JSON des conseillers (/desk/api), partagés par l'espace conseillers
 * (/desk/) et le tableau de bord des indicateurs (/desk/kpi/). À charger avant le script de la page.
 *
 *   const api = ColibriApi.client({ base, timeoutMs, onAnswer, onUnauthorized });
 *   const data = await api(method, path, body, { auth = true });
 *     base : "/desk/api" ; timeoutMs : au-delà, la requête est abandonnée (statut 0) ;
 *     onAnswer(status) : après chaque appel, le statut HTTP (0 : pas de réponse), p. ex. pour
 *       afficher « connexion perdue » ;
 *     onUnauthorized() : un 401 sur un appel avec auth (la session a expiré) ; avec auth: false
 *       (connexion, « qui suis-je », déconnexion), le 401 reste l'affaire de l'appelant.
 *   Une réponse hors 2xx lève ColibriApi.ApiError : .status (0 : pas de réponse), .data (l'objet
 *   JSON de la réponse, {} sinon). Réponse 204 ou sans JSON : {}.
 */
window.ColibriApi = (function () {
  "use strict";

  class ApiError extends Error {
    constructor(status, data) {
      super(status ? "HTTP " + status : "network error");
      this.status = status; // 0: no answer
      this.data = data && typeof data === "object" ? data : {};
    }
  }

  function client({ base, timeoutMs, onAnswer = () => {}, onUnauthorized = () => {} }) {
    return async function api(method, path, body, { auth = true } = {}) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      const init = {
        method, credentials: "same-origin", cache: "no-store", signal: controller.signal,
        headers: { Accept: "application/json" },
      };
      if (method !== "GET") {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body || {});
      }
      let response;
      try {
        response = await fetch(base + path, init);
      } catch (e) {
        clearTimeout(timer);
        onAnswer(0);
        throw new ApiError(0, null);
      }
      let data = null;
      try {
        if (response.status !== 204) data = await response.json();
      } catch (e) {
        data = null;
      } finally {
        clearTimeout(timer);
      }
      onAnswer(response.status);
      if (response.status === 401 && auth) onUnauthorized();
      if (!response.ok) throw new ApiError(response.status, data);
      return data || {};
    };
  }

  return Object.freeze({ ApiError, client });
})();
