"""Lost return reminders (their Rasa server gone) are fired once, by one web server.

Rasa is a loopback HTTP server answering ``POST /conversations/<id>/trigger_intent`` as
Rasa's HTTP API does; the whole path through real Rasa servers, one of them killed, is in
tests/production/test_faults.py."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from actions.outreach_models import PendingReminder
from desk.rasa_api import RasaApi
from proactive import reminders
from simulators import free_port

NOBODY = RasaApi(f"http://127.0.0.1:{free_port()}", "t", timeout=1)  # nothing listens there


class RasaApiRecorder(ThreadingHTTPServer):
    """Records the calls it gets; answers them as Rasa does when the token is right."""

    def __init__(self) -> None:
        self.calls: List[dict] = []
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    server: RasaApiRecorder

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if query.get("token") != "t":
            self.send_response(401)
            self.end_headers()
            return
        self.server.calls.append({"path": url.path, "query": query, "body": body})
        reply = json.dumps({"tracker": None, "messages": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def rasa() -> Iterator[RasaApiRecorder]:
    server = RasaApiRecorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def api(server: RasaApiRecorder) -> RasaApi:
    return RasaApi(f"http://127.0.0.1:{server.server_address[1]}", "t", timeout=5)


def pending(engine, conversation: str, due_minutes_ago: float, order: str = "CO100002", **extra) -> None:
    with Session(engine, future=True) as session, session.begin():
        session.add(PendingReminder(conversation_id=conversation, order_number=order,
                                    due_at=datetime.utcnow() - timedelta(minutes=due_minutes_ago), **extra))


def row(engine, conversation: str) -> PendingReminder:
    with Session(engine, future=True) as session:
        return session.get(PendingReminder, conversation)


def test_a_lost_reminder_is_fired_once_on_the_latest_channel(shop_db, rasa):
    pending(shop_db, "lost-1", due_minutes_ago=5)
    assert reminders.send_lost(api(rasa)) == ["lost-1"]
    assert reminders.send_lost(api(rasa)) == []  # claimed: not twice
    (call,) = rasa.calls
    assert call["path"] == "/conversations/lost-1/trigger_intent"
    assert call["query"]["output_channel"] == "latest"
    assert call["body"] == {"name": "EXTERNAL_return_reminder", "entities": {"order_id": "CO100002"}}
    assert row(shop_db, "lost-1").claimed_at is not None


def test_a_reminder_within_its_grace_or_already_sent_is_left_to_rasa(shop_db, rasa, monkeypatch):
    monkeypatch.setenv("RETURN_REMINDER_GRACE", "600")
    pending(shop_db, "due-now", due_minutes_ago=5)  # its own server may still be sending it
    pending(shop_db, "sent", due_minutes_ago=60, sent_at=datetime.utcnow())
    pending(shop_db, "later", due_minutes_ago=-60)
    assert reminders.send_lost(api(rasa)) == [] and rasa.calls == []


def test_a_reminder_without_order_is_fired_without_entity(shop_db, rasa):
    pending(shop_db, "lost-2", due_minutes_ago=5, order=None)
    assert reminders.send_lost(api(rasa)) == ["lost-2"]
    assert rasa.calls[0]["body"] == {"name": "EXTERNAL_return_reminder", "entities": {}}


def test_with_rasa_unreachable_the_reminder_waits_for_the_next_sweep(shop_db, rasa):
    pending(shop_db, "lost-3", due_minutes_ago=5)
    assert reminders.send_lost(NOBODY) == []
    assert row(shop_db, "lost-3").claimed_at is None
    assert reminders.send_lost(api(rasa)) == ["lost-3"]
