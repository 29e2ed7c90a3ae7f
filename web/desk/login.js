/*
 * Colibri — connexion des conseillers, partagée par l'espace conseillers (/desk/) et le tableau de
 * bord des indicateurs (/desk/kpi/) : le même formulaire, les mêmes messages, la même session.
 *
 * La page garde son titre et son texte d'accueil dans « #view-login .login-card » ; ce script y
 * ajoute la note et le formulaire (data-testid stables : login-form, login-username,
 * login-password, login-error, login-submit). À charger avant le script de la page (defer).
 *
 *   const login = ColibriLogin.setup({ signIn, show, signedIn });
 *     signIn({ username, password }) : promesse du compte (POST /desk/api/login) ; une erreur
 *       porte le statut HTTP dans .status (0 : pas de réponse) ;
 *     show() : la page affiche sa vue de connexion ;
 *     signedIn(me) : la suite, une fois connecté·e ({ username, name }).
 *   login.show(note) : affiche le formulaire, avec une note (déconnexion, session expirée…).
 *
 * ColibriLogin.TEXT : les messages de connexion, que les pages reprennent.
 */
window.ColibriLogin = (function () {
  "use strict";

  const TEXT = Object.freeze({
    badLogin: "Identifiant ou mot de passe incorrect.",
    tooManyTries: "Trop d'essais, réessayez dans quelques minutes.",
    missingLogin: "Saisissez votre identifiant et votre mot de passe.",
    loginFailed: "La connexion a échoué. Réessayez dans un instant.",
    unreachable: "Le serveur ne répond pas. Vérifiez votre connexion puis réessayez.",
    expired: "Votre session a expiré. Merci de vous reconnecter.",
    loggedOut: "Vous êtes déconnecté·e. À bientôt !",
  });
  const SUBMIT = "Se connecter";

  // el("p", {class: "x", text: "..."}, child...) : text always goes through textContent.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  }

  function buildForm(card) {
    const notice = el("p", { id: "login-notice", class: "desk-note", role: "status" });
    const form = el("form", { id: "login-form", class: "login-form", "data-testid": "login-form", novalidate: true },
      el("label", { for: "login-username", text: "Identifiant" }),
      el("input", { id: "login-username", name: "username", type: "text", autocomplete: "username",
        autocapitalize: "none", spellcheck: "false", required: true, "data-testid": "login-username" }),
      el("label", { for: "login-password", text: "Mot de passe" }),
      el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password",
        required: true, "data-testid": "login-password" }),
      el("p", { id: "login-error", class: "login-error", role: "alert", "data-testid": "login-error", hidden: true }),
      el("button", { type: "submit", id: "login-submit", class: "btn btn-primary btn-block",
        "data-testid": "login-submit", text: SUBMIT }));
    card.append(notice, form);
    return { form, notice, user: form.elements.username, pass: form.elements.password,
      error: form.querySelector("#login-error"), submit: form.querySelector("#login-submit") };
  }

  function setup({ signIn, show, signedIn }) {
    const { form, notice, user, pass, error, submit } = buildForm(document.querySelector("#view-login .login-card"));

    function setError(text) {
      error.textContent = text || "";
      error.hidden = !text;
      for (const input of [user, pass]) {
        if (text) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", "login-error"); }
        else { input.removeAttribute("aria-invalid"); input.removeAttribute("aria-describedby"); }
      }
    }

    function ready() {
      submit.disabled = false;
      submit.textContent = SUBMIT;
    }

    function showLogin(note) {
      show();
      setError("");
      notice.textContent = note || "";
      pass.value = "";
      ready();
      (user.value ? pass : user).focus();
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      const username = user.value.trim();
      const password = pass.value;
      if (!username || !password) {
        setError(TEXT.missingLogin);
        (username ? pass : user).focus();
        return;
      }
      setError("");
      submit.disabled = true;
      submit.textContent = "Connexion…";
      try {
        const me = await signIn({ username, password });
        notice.textContent = "";
        signedIn(me.username ? me : { username, name: me.name || username });
      } catch (e) {
        const messages = { 401: TEXT.badLogin, 429: TEXT.tooManyTries, 0: TEXT.unreachable };
        setError(messages[e.status] || TEXT.loginFailed);
        if (e.status === 401) { pass.value = ""; pass.focus(); }
      } finally {
        ready();
      }
    });

    return { show: showLogin };
  }

  return { TEXT, setup };
})();
