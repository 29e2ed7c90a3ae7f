"""The desk's API on a real database (SQLite and PostgreSQL): sign-in, queue, taking, tickets.

Relaying messages needs Rasa and is tested end to end (tests/e2e/test_handoff_e2e.py).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Dict, Optional

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.desk_models import Handoff
from actions.models import Ticket
from desk import passwords, sessions
from desk.api import COOKIE, DeskApi, Reply
from desk.rasa_api import RasaApi

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def advisors_file(tmp_path, monkeypatch):
    """Two advisors (password « bon-mot-de-passe »), hashed with few rounds to keep tests fast."""
    path = tmp_path / "advisors.yml"
    hashed = passwords.hash_password("bon-mot-de-passe", iterations=1000)
    path.write_text(f"""advisors:
  - {{username: julie, name: Julie, password_hash: "{hashed}"}}
  - {{username: karim, name: Karim, password_hash: "{hashed}"}}
""", encoding="utf-8")
    monkeypatch.setenv("DESK_ADVISORS", str(path))
    return path


@pytest.fixture
def api(shop_db, advisors_file) -> DeskApi:
    return DeskApi(rasa=RasaApi("http://127.0.0.1:9", None, timeout=1))  # no Rasa: not used here


def call(api: DeskApi, method: str, path: str, body: Any = None, cookie: Optional[str] = None,
         headers: Optional[Dict[str, str]] = None) -> Reply:
    sent = dict(JSON if headers is None else headers)
    if cookie:
        sent["Cookie"] = f"{COOKIE}={cookie}"
    raw = b"" if body is None else json.dumps(body).encode()
    return api.handle(method, path, sent, raw)


def login(api: DeskApi, username: str = "julie", password: str = "bon-mot-de-passe") -> str:
    reply = call(api, "POST", "/desk/api/login", {"username": username, "password": password})
    assert reply.status == HTTPStatus.OK, reply.body
    cookie = dict(reply.headers)["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    return cookie.split(";")[0].split("=", 1)[1]


def add_handoff(engine, conversation: str = "client-1", reason: str = "customer_request") -> int:
    now = datetime.utcnow()
    summary = {"request": "où est mon colis <b>?</b>", "order": None, "email": None,
               "last_messages": [{"role": "customer", "text": "un conseiller"}]}
    with Session(engine, future=True) as session, session.begin():
        ticket = Ticket(kind="handoff", reason=reason, conversation_id=conversation, channel="rest",
                        transcript="[]", created_at=now, number=f"TKT-{100000 + uuid.uuid4().int % 900000}")
        session.add(ticket)
        session.flush()
        handoff = Handoff(ticket_id=ticket.id, conversation_id=conversation, channel="rest", reason=reason,
                          status="waiting", summary=json.dumps(summary),
                          created_at=now - timedelta(minutes=2))
        session.add(handoff)
        session.flush()
        return handoff.id


# --- sign-in ----------------------------------------------------------------------

def test_no_session_is_refused_everywhere(api):
    for method, path in [("GET", "/desk/api/me"), ("GET", "/desk/api/queue"), ("GET", "/desk/api/tickets"),
                         ("POST", "/desk/api/handoffs/1/take"), ("POST", "/desk/api/handoffs/1/close"),
                         ("GET", "/desk/api/handoffs/1/messages")]:
        assert call(api, method, path).status == HTTPStatus.UNAUTHORIZED, path
    assert call(api, "GET", "/desk/api/queue", cookie="forged-token").status == HTTPStatus.UNAUTHORIZED


def test_login_gives_a_session_and_logout_ends_it(api):
    token = login(api)
    me = call(api, "GET", "/desk/api/me", cookie=token)
    assert me.status == HTTPStatus.OK and me.body == {"username": "julie", "name": "Julie"}
    assert call(api, "POST", "/desk/api/logout", {}, cookie=token).status == HTTPStatus.NO_CONTENT
    assert call(api, "GET", "/desk/api/me", cookie=token).status == HTTPStatus.UNAUTHORIZED


def test_only_the_hash_of_the_session_token_is_stored(api, shop_db):
    token = login(api)
    with Session(shop_db, future=True) as session:
        stored = session.execute(select(sessions.AdvisorSession.token_hash)).scalars().all()
    assert stored and token not in stored


@pytest.mark.parametrize("username,password", [("julie", "mauvais"), ("inconnu", "bon-mot-de-passe"),
                                               ("JULIE", "")])
def test_wrong_credentials_are_refused_alike(api, username, password):
    reply = call(api, "POST", "/desk/api/login", {"username": username, "password": password})
    assert reply.status == HTTPStatus.UNAUTHORIZED
    assert reply.body["error"] == "identifiant ou mot de passe incorrect"


def test_repeated_failures_lock_the_username_for_a_while(api):
    for _ in range(sessions.MAX_FAILURES):
        call(api, "POST", "/desk/api/login", {"username": "julie", "password": "x"})
    locked = call(api, "POST", "/desk/api/login", {"username": "julie", "password": "bon-mot-de-passe"})
    assert locked.status == HTTPStatus.TOO_MANY_REQUESTS
    login(api, "karim")  # another advisor is not affected


def test_sessions_expire_after_idle_time(api):
    token = login(api)
    later = datetime.utcnow() + sessions.IDLE + timedelta(seconds=1)
    assert sessions.advisor_for(token, now=later) is None


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b'{"username": 3, "password": []}'])
def test_malformed_login_is_a_clear_400(api, body):
    reply = api.handle("POST", "/desk/api/login", JSON, body)
    assert reply.status == HTTPStatus.BAD_REQUEST


def test_changes_need_json_so_that_no_cross_site_form_can_send_them(api):
    token = login(api)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert call(api, "POST", "/desk/api/handoffs/1/take", cookie=token, headers=form).status == 415


def test_unknown_route_and_wrong_method(api):
    assert call(api, "GET", "/desk/api/nope").status == HTTPStatus.NOT_FOUND
    assert call(api, "GET", "/desk/api/login").status == HTTPStatus.METHOD_NOT_ALLOWED


# --- queue -------------------------------------------------------------------------

def test_queue_shows_waiting_conversations_with_summary_and_online_count(api, shop_db):
    handoff_id = add_handoff(shop_db)
    token = login(api)
    queue = call(api, "GET", "/desk/api/queue", cookie=token).body
    [item] = queue["waiting"]
    assert item["id"] == handoff_id and item["reason_label"] == "Demande du client"
    assert item["channel"] == "rest" and item["waiting_seconds"] >= 120
    assert item["summary"]["request"] == "où est mon colis <b>?</b>"  # as typed; the page shows text
    assert queue["mine"] == [] and queue["online_advisors"] == 1


def test_taking_moves_the_conversation_to_mine_and_others_get_a_conflict(api, shop_db):
    handoff_id = add_handoff(shop_db)
    julie, karim = login(api, "julie"), login(api, "karim")
    taken = call(api, "POST", f"/desk/api/handoffs/{handoff_id}/take", {}, cookie=julie)
    assert taken.status == HTTPStatus.OK and taken.body["advisor"] == "Julie"
    late = call(api, "POST", f"/desk/api/handoffs/{handoff_id}/take", {}, cookie=karim)
    assert late.status == HTTPStatus.CONFLICT and late.body["advisor"] == "Julie"
    assert [h["id"] for h in call(api, "GET", "/desk/api/queue", cookie=julie).body["mine"]] == [handoff_id]
    assert call(api, "GET", "/desk/api/queue", cookie=karim).body["waiting"] == []
    # Karim cannot read or close Julie's conversation.
    for method, suffix in [("GET", "messages"), ("POST", "close"), ("POST", "messages")]:
        reply = call(api, method, f"/desk/api/handoffs/{handoff_id}/{suffix}", {"text": "x"}, cookie=karim)
        assert reply.status == HTTPStatus.FORBIDDEN


def race_to_take(api: DeskApi, handoff_id: int, tokens: Dict[str, str]) -> Dict[str, int]:
    """Every advisor in ``tokens`` clicks « Prendre » at the same instant; their statuses."""
    start = threading.Barrier(len(tokens))
    statuses: Dict[str, int] = {}

    def take(name: str) -> None:
        start.wait()
        path = f"/desk/api/handoffs/{handoff_id}/take"
        statuses[name] = call(api, "POST", path, {}, cookie=tokens[name]).status

    threads = [threading.Thread(target=take, args=(name,)) for name in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_advisors_taking_at_once_exactly_one_gets_it(api, shop_db):
    tokens = {"julie": login(api, "julie"), "karim": login(api, "karim")}
    for round_ in range(5):
        handoff_id = add_handoff(shop_db, conversation=f"race-{round_}")
        statuses = race_to_take(api, handoff_id, tokens)
        assert sorted(statuses.values()) == [HTTPStatus.OK, HTTPStatus.CONFLICT], statuses
        with Session(shop_db, future=True) as session:
            owner = session.get(Handoff, handoff_id).advisor
        assert statuses[owner] == HTTPStatus.OK


def test_unknown_conversation(api):
    token = login(api)
    assert call(api, "POST", "/desk/api/handoffs/999/take", {}, cookie=token).status == HTTPStatus.NOT_FOUND


# --- team tickets ----------------------------------------------------------------------

def test_callbacks_are_listed_and_marked_done_once(api, shop_db):
    with Session(shop_db, future=True) as session, session.begin():
        session.add(Ticket(number="TKT-100777", kind="callback", reason="callback_request",
                           conversation_id="c", channel="rest", transcript="[]", created_at=datetime.utcnow(),
                           phone="+33612345678", slot="matin"))
    token = login(api)
    [ticket] = call(api, "GET", "/desk/api/tickets", cookie=token).body["tickets"]
    assert ticket["phone"] == "+33612345678" and ticket["slot"] == "matin" and ticket["status"] == "open"
    done = call(api, "POST", "/desk/api/tickets/TKT-100777/done", {}, cookie=token)
    assert done.status == HTTPStatus.OK and done.body["status"] == "done" and done.body["done_by"] == "Julie"
    assert call(api, "POST", "/desk/api/tickets/TKT-999999/done", {}, cookie=token).status == 404
