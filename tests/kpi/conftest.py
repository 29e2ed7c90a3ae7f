"""The scripted tracker store and project database (tests/kpi/scripted.py), on SQLite and PostgreSQL.

Each backend gets its own two databases (tracker store, project), filled once per test
module: on PostgreSQL, fresh databases named ``colibri_kpi_…`` created next to the session's
(``postgres_server``, which skips or, under ``CI=true``, fails without a server).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import Engine

from actions import db
from actions.seed import seed
from production import throwaway

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))  # browser_helpers
from scripted import fill_shop, fill_tracker  # noqa: E402


@dataclass
class Stores:
    """Where the scripted data is."""

    backend: str
    tracker_url: str
    shop_url: str
    shop: Engine


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    """The scripted conversations in a Rasa tracker store; handoffs and ratings in a project database."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            folder = tmp_path_factory.mktemp("kpi")
            fill_tracker(SQLTrackerStore(dialect="sqlite", db=str(folder / "tracker.db")))
            tracker_url, shop_url = f"sqlite:///{folder / 'tracker.db'}", f"sqlite:///{folder / 'shop.db'}"
        else:
            server = request.getfixturevalue("postgres_server")
            tracker, shop = stack.enter_context(throwaway.databases(server, "colibri_kpi", 2))
            fill_tracker(SQLTrackerStore(dialect="postgresql", host=tracker.host, port=tracker.port,
                                         db=tracker.database, username=tracker.username,
                                         password=tracker.password))
            tracker_url, shop_url = (url.render_as_string(hide_password=False) for url in (tracker, shop))
        engine = db.make_engine(shop_url)
        stack.callback(engine.dispose)
        seed(engine, reset=True)
        fill_shop(engine)
        yield Stores(request.param, tracker_url, shop_url, engine)
