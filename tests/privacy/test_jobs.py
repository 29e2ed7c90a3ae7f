"""The retention job and erasure on request, on PostgreSQL, against Rasa's own tracker store.

The data is ``privacy_world``'s: each test checks exactly what is left in both databases.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import Stores
from privacy_world import CAMILLE, CAMILLE_PHONE, OLD_SENDERS, RECENT_SENDERS, fill_shop, fill_tracker
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from actions.account_models import LinkRequest
from actions.desk_models import Handoff
from actions.models import Base, Ticket
from actions.outreach_models import CustomerConversation, NotificationOptOut, ProactiveMessage
from actions.survey_models import SatisfactionRating
from privacy import forget
from privacy.erasure import run_erasure
from privacy.forget import ALIAS_PREFIX
from privacy.retention import run_retention
from privacy.stores import PrivacyError

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
SHOP_TABLES = ("customers", "orders", "order_items", "returns")


@pytest.fixture
def world(stores: Stores) -> Stores:
    fill_tracker(stores.tracker)
    fill_shop(stores.shop)
    return stores


def events_per_sender(stores: Stores) -> Counter:
    with stores.tracker.engine.connect() as conn:
        query = text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")
        return Counter(dict(conn.execute(query).all()))


def conversations(engine: Engine, model: Any) -> List[str]:
    with Session(engine, future=True) as db:
        return sorted(db.execute(select(model.conversation_id)).scalars())


def rows(engine: Engine, model: Any) -> List[Any]:
    with Session(engine, future=True) as db:
        return list(db.execute(select(model).order_by(model.__mapper__.primary_key[0])).scalars())


def snapshot(stores: Stores) -> Dict[str, Any]:
    """Every row of both databases."""
    tables: Dict[str, Any] = {"events": sorted(events_per_sender(stores).items())}
    with stores.shop.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in inspect(stores.shop).get_table_names():
                tables[table.name] = sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
    return tables


def old_events(before: Counter, senders: set) -> int:
    return sum(before[s] for s in senders)


def test_retention_forgets_old_conversations_and_keeps_the_rest(world: Stores) -> None:
    before, shop_before = events_per_sender(world), snapshot(world)
    report = run_retention(365, tracker_url=world.tracker_url, shop=world.shop)

    assert report.conversations == ["fb-old-anonymous", "gone-old", "web-old-camille"]
    assert report.deleted == {"events": old_events(before, OLD_SENDERS), "customer_conversations": 1,
                              "link_requests": 1, "proactive_messages": 2, "pending_reminders": 1}
    assert report.anonymised == {"tickets": 2, "handoffs": 1, "satisfaction_ratings": 2}
    assert set(events_per_sender(world)) == RECENT_SENDERS  # web-mixed: its old session too
    mixed = asyncio.run(world.tracker.retrieve_full_tracker("web-mixed"))
    assert len(mixed.events) == before["web-mixed"]

    assert conversations(world.shop, CustomerConversation) == ["rest-recent-lucas", "web-recent-camille"]
    assert conversations(world.shop, LinkRequest) == ["rest-recent-lucas"]
    assert [m.order_number for m in rows(world.shop, ProactiveMessage)] == ["CO100006"]
    assert len(rows(world.shop, NotificationOptOut)) == 1  # Camille's « stop » still holds
    tickets = {t.number: t for t in rows(world.shop, Ticket)}
    assert len(tickets) == 3
    old_ticket, recent_callback, gone = tickets.values()
    for ticket in (old_ticket, gone):
        assert ticket.conversation_id.startswith(ALIAS_PREFIX)
        assert (ticket.transcript, ticket.email, ticket.phone, ticket.question, ticket.order_number) == \
            ("[]", None, None, None, None)
        assert ticket.reason == "customer_request" and ticket.kind in ("handoff", "email")
    assert recent_callback.conversation_id == "rest-recent-lucas" and recent_callback.phone == "+33711223344"
    [handoff] = rows(world.shop, Handoff)
    assert (handoff.conversation_id, handoff.summary, handoff.reason, handoff.advisor) == \
        (old_ticket.conversation_id, "{}", "customer_request", "julie")
    ratings = {(r.rating, r.request, r.comment, r.conversation_id)
               for r in rows(world.shop, SatisfactionRating)}
    anonymous = {r for r in ratings if r[3].startswith(ALIAS_PREFIX)}
    assert {r[:3] for r in anonymous} == {(2, "handoff", None), (4, "faq", None)}
    assert (2, "handoff", None, old_ticket.conversation_id) in anonymous  # one alias per conversation
    assert ratings - anonymous == {(5, "order_tracking", "parfait", "web-recent-camille"),
                                   (3, "general", None, "gone-recent")}
    after = snapshot(world)
    assert all(after[t] == shop_before[t] for t in SHOP_TABLES)

    again = run_retention(365, tracker_url=world.tracker_url, shop=world.shop)
    assert (again.conversations, sum(again.deleted.values()), sum(again.anonymised.values())) == ([], 0, 0)
    assert snapshot(world) == after


def test_a_dry_run_counts_the_same_and_changes_nothing(world: Stores) -> None:
    before = snapshot(world)
    dry = run_retention(365, dry_run=True, tracker_url=world.tracker_url, shop=world.shop)
    assert dry.dry_run and snapshot(world) == before
    real = run_retention(365, tracker_url=world.tracker_url, shop=world.shop)
    assert (dry.conversations, dry.deleted, dry.anonymised) == \
        (real.conversations, real.deleted, real.anonymised)


def test_a_failure_midway_leaves_both_databases_untouched(world: Stores,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(world)

    def broken(*args: Any, **kwargs: Any) -> None:  # after the events were deleted
        raise RuntimeError("disk full")

    monkeypatch.setattr(forget, "forget_rows", broken)
    with pytest.raises(RuntimeError):
        run_retention(365, tracker_url=world.tracker_url, shop=world.shop)
    with pytest.raises(RuntimeError):
        run_erasure([CAMILLE], tracker_url=world.tracker_url, shop=world.shop)
    assert snapshot(world) == before


def test_erasure_by_email_removes_everything_about_the_customer(world: Stores) -> None:
    before, shop_before = events_per_sender(world), snapshot(world)
    camilles = {"web-old-camille", "web-recent-camille", "web-typed-camille", "gone-old"}
    report = run_erasure([CAMILLE.upper()], tracker_url=world.tracker_url, shop=world.shop)

    assert report.conversations == sorted(camilles)
    assert report.deleted == {"events": old_events(before, camilles), "customer_conversations": 2,
                              "link_requests": 1, "proactive_messages": 2, "satisfaction_ratings": 2,
                              "handoffs": 1, "notification_optouts": 1, "pending_reminders": 2}
    assert report.anonymised == {"tickets": 2}
    assert report.kept_counts == {"customers": 1, "orders": 3, "returns": 0}
    assert set(report.kept) == {"customers", "orders, order_items, returns", "tickets", "logs"}
    assert report.to_json()["emails"] == [CAMILLE]

    assert set(events_per_sender(world)) == {"web-mixed", "fb-old-anonymous", "rest-recent-lucas"}
    assert conversations(world.shop, CustomerConversation) == ["rest-recent-lucas"]
    assert conversations(world.shop, LinkRequest) == ["rest-recent-lucas"]
    assert [m.order_number for m in rows(world.shop, ProactiveMessage)] == ["CO100006"]
    assert rows(world.shop, NotificationOptOut) == [] and rows(world.shop, Handoff) == []
    assert conversations(world.shop, SatisfactionRating) == ["fb-old-anonymous", "gone-recent"]
    assert [t.conversation_id for t in rows(world.shop, Ticket)][1] == "rest-recent-lucas"
    after = snapshot(world)
    assert all(after[t] == shop_before[t] for t in SHOP_TABLES)  # her account and orders are the shop's
    everything = json.dumps({k: v for k, v in after.items() if k not in SHOP_TABLES}, default=str).lower()
    assert CAMILLE not in everything and CAMILLE_PHONE not in everything
    with world.tracker.engine.connect() as conn:
        assert "camille" not in " ".join(conn.execute(text("SELECT data FROM events")).scalars()).lower()


def test_erasure_by_conversation_removes_that_conversation_only(world: Stores) -> None:
    before = events_per_sender(world)
    report = run_erasure(conversations=["fb-old-anonymous"], tracker_url=world.tracker_url, shop=world.shop)
    assert report.conversations == ["fb-old-anonymous"]
    assert {k: v for k, v in report.deleted.items() if v} == {"events": before["fb-old-anonymous"],
                                                             "satisfaction_ratings": 1}
    assert set(events_per_sender(world)) == set(before) - {"fb-old-anonymous"}
    assert "fb-old-anonymous" not in conversations(world.shop, SatisfactionRating)
    assert report.kept_counts == {"customers": 0, "orders": 0, "returns": 0}


def test_one_database_for_both(one_database: Stores) -> None:
    fill_tracker(one_database.tracker)
    fill_shop(one_database.shop)
    report = run_erasure([CAMILLE], tracker_url=one_database.tracker_url, shop=one_database.shop)
    assert len(report.conversations) == 4 and report.deleted["events"] > 0
    assert set(events_per_sender(one_database)) == {"web-mixed", "fb-old-anonymous", "rest-recent-lucas"}


def test_problems_are_one_clear_line(stores: Stores, tmp_path: Path) -> None:
    with pytest.raises(PrivacyError, match="not an e-mail address"):
        run_erasure(["camille"], tracker_url=stores.tracker_url, shop=stores.shop)
    with pytest.raises(PrivacyError, match="nothing to erase"):
        run_erasure([], [" "], tracker_url=stores.tracker_url, shop=stores.shop)
    with pytest.raises(PrivacyError, match="no SQLite database"):
        run_retention(30, tracker_url=f"sqlite:///{tmp_path / 'missing.db'}", shop=stores.shop)
    with pytest.raises(PrivacyError, match="no table 'events'"):
        run_retention(30, tracker_url=stores.shop_url, shop=stores.shop)


def _cli(world: Stores, *args: str, **env: str) -> subprocess.CompletedProcess:
    variables = {**os.environ, "DATABASE_URL": world.shop_url, "TRACKER_STORE_URL": world.tracker_url,
                 "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **env}
    return subprocess.run([sys.executable, "-m", "privacy", *args], cwd=ROOT, env=variables,
                          capture_output=True, text=True, timeout=120)


def test_command_line(world: Stores) -> None:
    before = snapshot(world)
    dry = _cli(world, "retention", "--dry-run", RETENTION_DAYS="365")
    assert dry.returncode == 0, dry.stderr
    assert "plus de 365 jours" in dry.stdout and "Conversations oubliées : 3" in dry.stdout
    assert "Essai à blanc" in dry.stdout and snapshot(world) == before

    erased = _cli(world, "erase", "--email", CAMILLE, "--conversation", "fb-old-anonymous")
    assert erased.returncode == 0, erased.stderr
    report = json.loads(erased.stdout)
    assert report["conversations"] == ["fb-old-anonymous", "gone-old", "web-old-camille",
                                       "web-recent-camille", "web-typed-camille"]
    assert report["deleted"]["satisfaction_ratings"] == 3 and report["kept_counts"]["orders"] == 3
    assert set(events_per_sender(world)) == {"web-mixed", "rest-recent-lucas"}

    bad = _cli(world, "retention", RETENTION_DAYS="soon")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("privacy : erreur : RETENTION_DAYS must be a whole number")


def test_the_tracker_store_in_a_postgresql_schema(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's ``POSTGRESQL_SCHEMA``: its events are where Rasa wrote them, not in ``public``."""
    schema = f"privacy_{uuid.uuid4().hex[:8]}"
    with stores.tracker.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        monkeypatch.setenv("POSTGRESQL_SCHEMA", schema)
        url = make_url(stores.tracker_url)
        in_schema = SQLTrackerStore(dialect="postgresql", host=url.host, port=url.port, db=url.database,
                                    username=url.username, password=url.password)
        fill_tracker(in_schema)
        fill_shop(stores.shop)
        report = run_erasure(conversations=["fb-old-anonymous"], tracker_url=stores.tracker_url,
                             shop=stores.shop)
        with in_schema.engine.connect() as conn:
            left = set(conn.execute(text("SELECT DISTINCT sender_id FROM events")).scalars())
        assert report.deleted["events"] > 0 and left == (OLD_SENDERS | RECENT_SENDERS) - {"fb-old-anonymous"}
        in_schema.engine.dispose()
    finally:
        with stores.tracker.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
