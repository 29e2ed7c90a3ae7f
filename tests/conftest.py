"""Shared fixtures: the shop's database, seeded with the contract's demo data, and
a real local SMTP server (``inbox``).

``shop_db`` runs each test on SQLite and on PostgreSQL (127.0.0.1:5432, or
``TEST_POSTGRES_URL``). Without a PostgreSQL server the PostgreSQL runs are
skipped with the reason, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from services import require_service
from shop_policies import write_policies
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions import accounts, db
from actions.desk_models import AdvisorSession
from actions.seed import seed
from production import throwaway
from simulators import free_port, mail_sink

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; its URL."""
    with contextlib.ExitStack() as stack:
        try:
            (url,) = stack.enter_context(throwaway.databases(POSTGRES_URL, "colibri_test"))
        except Exception as error:  # noqa: BLE001 - any connection failure means "absent"
            require_service(f"PostgreSQL at {POSTGRES_URL}", error)
        yield url.render_as_string(hide_password=False)


def _fresh_engine(url: str) -> Engine:
    engine = db.make_engine(url)
    seed(engine, reset=True)
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop_db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """The shop's database with the demo data; the actions use it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("postgres_server")
    engine = _fresh_engine(url)
    db.use_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[mail_sink.Controller]:
    """A real SMTP server on loopback, keeping what it receives."""
    controller = mail_sink.start(free_port())
    yield controller
    controller.stop()


@pytest.fixture
def inbox(smtp_server: mail_sink.Controller, monkeypatch: pytest.MonkeyPatch) -> mail_sink.Inbox:
    """The SMTP server's inbox, emptied; the mailer points at the server."""
    handler: mail_sink.Inbox = smtp_server.handler
    handler.messages.clear()
    handler.refuse_recipients = False
    for name in ("SMTP_SENDER", "SMTP_STARTTLS", "SMTP_USER", "SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("SMTP_TIMEOUT", "5")
    monkeypatch.setattr(accounts, "SHOP_URL", "https://shop.test")
    return handler


@pytest.fixture
def desk_hours(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """Sets the advisors' hours: ``desk_hours(open=True)`` (all day, every day) or closed."""
    path = tmp_path / "policies.yml"

    def set_hours(open: bool) -> None:
        value = "00:00-24:00" if open else "fermé"
        write_policies(path, weekdays=value, saturday=value, sunday=value)
        os.utime(path, ns=(time.time_ns(), time.time_ns()))  # re-read even within one mtime tick

    monkeypatch.setenv("SHOP_POLICIES", str(path))
    return set_hours


@pytest.fixture
def advisor_online(shop_db: Engine) -> str:
    """An advisor signed in to the desk right now; their username."""
    now = datetime.utcnow()
    with Session(shop_db, future=True) as session, session.begin():
        session.add(AdvisorSession(token_hash=uuid.uuid4().hex * 2, username="julie", created_at=now,
                                   last_seen=now, expires_at=now + timedelta(hours=1)))
    return "julie"
