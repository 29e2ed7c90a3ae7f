"""The desk's JSON API under ``/desk/api/``, independent of the HTTP server that carries it.

``DeskApi.handle(method, path, headers, body)`` returns a ``Reply``; ``web/server.py``
turns it into an HTTP response. Every route but ``login`` needs the session cookie;
requests that change something must be JSON (``Content-Type: application/json``),
which a cross-site form cannot send, and the cookie is ``SameSite=Strict``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from desk import accounts, queue, sessions
from desk.rasa_api import RasaApi, RasaUnavailable
from kpi import api as kpi_api

logger = logging.getLogger(__name__)

COOKIE = "colibri_desk"
MAX_BODY = 16_384
MAX_MESSAGE = 2000


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: List[Tuple[str, str]] = field(default_factory=list)


def _error(status: HTTPStatus, message: str, **extra: Any) -> Reply:
    return Reply(status, {"error": message, **extra})


@dataclass
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    query: str = ""
    advisor: Optional[accounts.Advisor] = None

    def cookie(self) -> Optional[str]:
        try:
            jar = SimpleCookie(self.headers.get("Cookie") or "")
        except CookieError:
            return None
        return jar[COOKIE].value if COOKIE in jar else None

    def json(self) -> Dict[str, Any]:
        try:
            data = json.loads(self.body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


Route = Tuple[str, "re.Pattern[str]", Callable[..., Reply], bool]  # method, path, handler, signed in


class DeskApi:
    """Routes of the desk: sign-in, queue, conversations, team tickets."""

    def __init__(self, rasa: Optional[RasaApi] = None, secure_cookie: bool = False) -> None:
        self.rasa = rasa or RasaApi.from_env()
        self.secure_cookie = secure_cookie
        self.routes: List[Route] = [
            ("POST", re.compile(r"/desk/api/login"), self.login, False),
            ("POST", re.compile(r"/desk/api/logout"), self.logout, False),
            ("GET", re.compile(r"/desk/api/me"), self.me, True),
            ("GET", re.compile(r"/desk/api/queue"), self.queue, True),
            ("POST", re.compile(r"/desk/api/handoffs/(\d{1,9})/take"), self.take, True),
            ("GET", re.compile(r"/desk/api/handoffs/(\d{1,9})/messages"), self.messages, True),
            ("POST", re.compile(r"/desk/api/handoffs/(\d{1,9})/messages"), self.send, True),
            ("POST", re.compile(r"/desk/api/handoffs/(\d{1,9})/close"), self.close, True),
            ("GET", re.compile(r"/desk/api/tickets"), self.tickets, True),
            ("POST", re.compile(r"/desk/api/tickets/(TKT-\d{6,9})/done"), self.ticket_done, True),
            ("GET", re.compile(r"/desk/api/kpi"), self.kpi, True),
        ]

    # --- dispatch ------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        path, _, query = target.partition("?")
        request = Request(method, path, headers, body, query)
        for route_method, pattern, handler, signed_in in self.routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            if route_method != method:
                continue
            if method == "POST" and not (headers.get("Content-Type") or "").startswith("application/json"):
                return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "JSON attendu")
            if len(body) > MAX_BODY:
                return _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "requête trop grande")
            if signed_in:
                request.advisor = sessions.advisor_for(request.cookie())
                if request.advisor is None:
                    return _error(HTTPStatus.UNAUTHORIZED, "connexion requise")
            try:
                return handler(request, *match.groups())
            except RasaUnavailable as error:
                logger.warning("Rasa unavailable: %s", error)
                return _error(HTTPStatus.BAD_GATEWAY, "Colibri ne répond pas, réessayez dans un instant")
        if any(p.fullmatch(path) for _, p, _, _ in self.routes):
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, "méthode non permise")
        return _error(HTTPStatus.NOT_FOUND, "introuvable")

    def _cookie(self, token: str, max_age: int) -> Tuple[str, str]:
        secure = "; Secure" if self.secure_cookie else ""
        attributes = f"Path=/desk; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        return ("Set-Cookie", f"{COOKIE}={token}; {attributes}")

    # --- sign-in -------------------------------------------------------------
    def login(self, request: Request) -> Reply:
        data = request.json()
        username, password = data.get("username"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return _error(HTTPStatus.BAD_REQUEST, "identifiant et mot de passe attendus")
        try:
            token = sessions.login(username, password)
        except sessions.TooManyAttempts:
            return _error(HTTPStatus.TOO_MANY_REQUESTS, "trop d'essais, réessayez plus tard")
        if token is None:
            return _error(HTTPStatus.UNAUTHORIZED, "identifiant ou mot de passe incorrect")
        advisor = accounts.find(username)
        lifetime = int(sessions.LIFETIME.total_seconds())
        return Reply(HTTPStatus.OK, {"username": advisor.username, "name": advisor.name},
                     [self._cookie(token, lifetime)])

    def logout(self, request: Request) -> Reply:
        sessions.logout(request.cookie())
        return Reply(HTTPStatus.NO_CONTENT, None, [self._cookie("", 0)])

    def me(self, request: Request) -> Reply:
        return Reply(HTTPStatus.OK, {"username": request.advisor.username, "name": request.advisor.name})

    # --- queue and conversations ---------------------------------------------------
    def queue(self, request: Request) -> Reply:
        return Reply(HTTPStatus.OK, queue.overview(request.advisor.username))

    def _mine(self, request: Request, handoff_id: str) -> Tuple[Optional[queue.Handoff], Optional[Reply]]:
        handoff = queue.get(int(handoff_id))
        if handoff is None:
            return None, _error(HTTPStatus.NOT_FOUND, "conversation introuvable")
        if handoff.advisor != request.advisor.username:
            return None, _error(HTTPStatus.FORBIDDEN, "cette conversation n'est pas la vôtre")
        return handoff, None

    def take(self, request: Request, handoff_id: str) -> Reply:
        taken = queue.take(int(handoff_id), request.advisor.username)
        handoff = queue.get(int(handoff_id))
        if handoff is None:
            return _error(HTTPStatus.NOT_FOUND, "conversation introuvable")
        if not taken:
            return _error(HTTPStatus.CONFLICT, "déjà prise", advisor=queue.as_dict(handoff)["advisor"])
        return Reply(HTTPStatus.OK, queue.as_dict(handoff))

    def messages(self, request: Request, handoff_id: str) -> Reply:
        handoff, refused = self._mine(request, handoff_id)
        if refused:
            return refused
        after = re.search(r"(?:^|&)after=(\d{1,9})(?:&|$)", request.query)
        start = int(after.group(1)) if after else 0
        lines = self.rasa.messages(handoff.conversation_id)
        return Reply(HTTPStatus.OK, {"status": handoff.status, "messages": lines[start:], "next": len(lines)})

    def send(self, request: Request, handoff_id: str) -> Reply:
        handoff, refused = self._mine(request, handoff_id)
        if refused:
            return refused
        if handoff.status != queue.TAKEN:
            return _error(HTTPStatus.CONFLICT, "conversation clôturée")
        text = request.json().get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text or len(text) > MAX_MESSAGE:
            return _error(HTTPStatus.BAD_REQUEST, f"message vide ou trop long (au plus {MAX_MESSAGE})")
        self.rasa.say(handoff.conversation_id, text, request.advisor.name, request.advisor.username)
        return Reply(HTTPStatus.CREATED, {"ok": True})

    def close(self, request: Request, handoff_id: str) -> Reply:
        handoff, refused = self._mine(request, handoff_id)
        if refused:
            return refused
        if handoff.status != queue.TAKEN:
            return _error(HTTPStatus.CONFLICT, "conversation déjà clôturée")
        self.rasa.hand_back(handoff.conversation_id, request.advisor.name)
        queue.close(handoff.id, request.advisor.username)
        return Reply(HTTPStatus.OK, queue.as_dict(queue.get(handoff.id)))

    # --- team tickets ----------------------------------------------------------------
    def tickets(self, request: Request) -> Reply:
        return Reply(HTTPStatus.OK, {"tickets": queue.team_tickets()})

    def ticket_done(self, request: Request, number: str) -> Reply:
        ticket = queue.mark_done(number, request.advisor.username)
        if ticket is None:
            return _error(HTTPStatus.NOT_FOUND, "ticket introuvable")
        return Reply(HTTPStatus.OK, ticket)

    # --- KPI dashboard (/desk/kpi/) --------------------------------------------------
    def kpi(self, request: Request) -> Reply:
        return Reply(*kpi_api.answer(request.query))
