"""A tracker store that cannot be read makes the message fail (and the channel apologise);
Rasa's own wrapper would start the conversation again from nothing."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import threading
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import channels  # noqa: F401 - loading the channels installs the change, as in `rasa run`


def store_on(path: Path) -> FailSafeTrackerStore:
    """A SQLite tracker store wrapped as Rasa wraps every tracker store (``Agent``)."""
    return FailSafeTrackerStore(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path)))


def conversation(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("où est mon colis ?", {"name": "track_order", "confidence": 1.0}))
    return tracker


def test_a_readable_conversation_is_read_as_before(tmp_path: Path) -> None:
    store = store_on(tmp_path / "tracker.db")
    asyncio.run(store.save(conversation("client-1")))
    tracker = asyncio.run(store.retrieve("client-1"))
    assert tracker is not None and tracker.latest_message.text == "où est mon colis ?"
    assert asyncio.run(store.retrieve("nobody")) is None  # a new conversation is still new


def test_an_unreadable_store_is_an_error_not_a_new_conversation(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = store_on(path)
    asyncio.run(store.save(conversation("client-1")))
    with sqlite3.connect(path) as db:  # the store breaks under Rasa's feet
        db.execute("DROP TABLE events")
    with pytest.raises(OperationalError, match="no such table"):
        asyncio.run(store.retrieve("client-1"))
    with pytest.raises(OperationalError):
        asyncio.run(store.retrieve_full_tracker("client-1"))
    # Saving keeps Rasa's fallback: no error once the message has been answered.
    asyncio.run(store.save(conversation("client-1")))


def test_the_stores_connections_are_checked_before_use(tmp_path: Path) -> None:
    """A connection cut while the database was away is replaced, not handed to a message."""
    channels.tracker_store_failures.install()  # twice: the engine is still made once more only
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert store.engine.pool._pre_ping
    asyncio.run(store.save(conversation("client-1")))
    assert asyncio.run(store.retrieve("client-1")) is not None


@pytest.mark.postgres
def test_with_login_db_rasas_pool_settings_are_kept(postgres_server: str, monkeypatch) -> None:
    """As deploy/endpoints.production.yml sets it up; Rasa 3.6 alone makes a default pool then."""
    monkeypatch.setenv("SQL_POOL_SIZE", "7")
    url = make_url(postgres_server)
    store = SQLTrackerStore(Domain.empty(), dialect="postgresql", host=url.host, port=url.port,
                            db=url.database, username=url.username, login_db="postgres")
    try:
        assert store.engine.pool._pre_ping and store.engine.pool.size() == 7
        assert store.engine.url.database == url.database
        asyncio.run(store.save(conversation("failures-login-db")))
        assert asyncio.run(store.retrieve("failures-login-db")).latest_message.text == "où est mon colis ?"
    finally:
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM events WHERE sender_id = 'failures-login-db'"))
        store.engine.dispose()


class SwitchablePostgres:
    """A TCP relay to PostgreSQL that can go silent: new connections are then accepted and
    never answered, as a hung server or a firewall dropping packets would."""

    def __init__(self, target: Tuple[str, int]) -> None:
        self.target, self.silent = target, False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(client)
                continue
            server = socket.create_connection(self.target)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
        for held in self.held:
            held.close()


@pytest.mark.postgres
def test_a_postgresql_that_never_answers_is_an_error_within_seconds(postgres_server: str) -> None:
    """Without libpq's connect_timeout the retrieve would wait until the kernel gives up."""
    url = make_url(postgres_server)
    relay = SwitchablePostgres((url.host, url.port or 5432))
    store = FailSafeTrackerStore(SQLTrackerStore(
        Domain.empty(), dialect="postgresql", host="127.0.0.1", port=relay.port, db=url.database,
        username=url.username))
    outcome: Dict[str, BaseException] = {}

    def retrieve() -> None:
        try:
            asyncio.run(store.retrieve("failures-silent"))
        except BaseException as error:  # noqa: BLE001 - kept for the assertion
            outcome["error"] = error

    try:
        assert asyncio.run(store.retrieve("failures-silent")) is None  # reachable: a new conversation
        relay.silent = True
        store._tracker_store.engine.dispose()  # the next read needs a new connection
        worker = threading.Thread(target=retrieve, daemon=True)
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the Rasa server would still be waiting for PostgreSQL"
        assert isinstance(outcome.get("error"), OperationalError)
        assert "timeout" in str(outcome["error"]).lower()
    finally:
        relay.close()
        store._tracker_store.engine.dispose()
