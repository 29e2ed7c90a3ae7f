"""PostgreSQL for the privacy jobs: a tracker store filled by Rasa's own ``SQLTrackerStore`` and
the project's database seeded by ``actions.seed``, emptied before each test.

The project's database is the session's (``postgres_server``: skipped without a server, a
failure under ``CI=true``); the tracker store is a second throw-away database next to it,
dropped at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url

from actions import db
from actions.seed import seed
from production import throwaway


@dataclass
class Stores:
    """Where a test's data is: Rasa's tracker store and the project's database."""

    tracker: SQLTrackerStore
    tracker_url: str
    shop: Engine
    shop_url: str


def _store(url: URL) -> SQLTrackerStore:
    return SQLTrackerStore(dialect="postgresql", host=url.host, port=url.port, db=url.database,
                           username=url.username, password=url.password)


@pytest.fixture(scope="session")
def tracker_database(postgres_server: str) -> Iterator[URL]:
    """A second throw-away database for Rasa's tracker store; its URL."""
    with throwaway.databases(postgres_server, "colibri_privacy") as (url,):
        yield url


def _emptied(store: SQLTrackerStore) -> SQLTrackerStore:
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    return store


@pytest.fixture
def stores(postgres_server: str, tracker_database: URL) -> Iterator[Stores]:
    """An empty tracker store and the demo shop, in two PostgreSQL databases."""
    shop = db.make_engine(postgres_server)
    seed(shop, reset=True)
    tracker = _emptied(_store(tracker_database))
    yield Stores(tracker, tracker_database.render_as_string(hide_password=False), shop, postgres_server)
    tracker.engine.dispose()
    shop.dispose()


@pytest.fixture
def one_database(postgres_server: str) -> Iterator[Stores]:
    """The tracker store's ``events`` in the project's own database (one transaction for all)."""
    shop = db.make_engine(postgres_server)
    seed(shop, reset=True)
    tracker = _emptied(_store(make_url(postgres_server)))
    yield Stores(tracker, postgres_server, shop, postgres_server)
    with shop.begin() as conn:
        conn.execute(text("DROP TABLE events"))
    tracker.engine.dispose()
    shop.dispose()
