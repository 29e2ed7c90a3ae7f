"""The two databases the privacy jobs change, opened together and changed all or nothing.

Rasa's SQL tracker store: ``--tracker-url``, else ``TRACKER_STORE_URL``, else the
``tracker_store`` of endpoints.yml (``trainers.tracker_source``). The project's database:
``DATABASE_URL`` (``actions.db``). When both URLs are the same database, one transaction
covers everything; otherwise the project's is committed first, then the tracker store's:
if the second commit fails, running the job again finishes the work (the conversations
are still found in the tracker store).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet, Iterator, Optional

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from actions import db
from trainers.readonly_db import InboxError, describe
from trainers.tracker_source import EVENTS, resolve_url


class PrivacyError(Exception):
    """The job cannot run (a database out of reach, a table missing); one line for the operator."""


@dataclass(frozen=True)
class Stores:
    """Open sessions on the tracker store and the project's database (maybe the same one)."""

    tracker: Session
    shop: Session
    shop_tables: FrozenSet[str]  # the project's tables present in its database


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _existing_sqlite(url: str, what: str) -> None:
    """A missing SQLite file is an error here, never a new empty database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise PrivacyError(f"{what}: not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).is_file():
        raise PrivacyError(f"{what}: no SQLite database at {parsed.database}")


def tracker_engine(url: str) -> Engine:
    """An engine on the tracker store, in Rasa's ``POSTGRESQL_SCHEMA`` if set. Rasa itself is not
    needed (the action server's image has only rasa-sdk)."""
    _existing_sqlite(url, "tracker store")
    schema = os.environ.get("POSTGRESQL_SCHEMA")
    if schema and make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, future=True, connect_args={"options": f"-csearch_path={schema}"})
    return create_engine(url, future=True)


def shop_engine() -> Engine:
    """The project's engine (``DATABASE_URL``), as the actions use it."""
    from actions.settings import Settings

    _existing_sqlite(Settings.from_env().database_url, "DATABASE_URL")
    return db.get_engine()


def _check_events(engine: Engine) -> None:
    if EVENTS.name not in inspect(engine).get_table_names():
        raise PrivacyError(f"no table {EVENTS.name!r} in the tracker store {describe(str(engine.url))}")


@contextmanager
def open_stores(tracker_url: Optional[str] = None, shop: Optional[Engine] = None,
                dry_run: bool = False) -> Iterator[Stores]:
    """Both databases in one unit of work: committed at the end, or rolled back on any error
    and for a dry run. Database errors become a ``PrivacyError``."""
    try:
        url = resolve_url(tracker_url)
    except InboxError as error:
        raise PrivacyError(f"tracker store: {error}") from error
    project = shop or shop_engine()
    # Rasa's POSTGRESQL_SCHEMA moves its tables, not the project's: then two connections.
    same = make_url(url) == project.url and not os.environ.get("POSTGRESQL_SCHEMA")
    tracker = project if same else tracker_engine(url)
    try:
        _check_events(tracker)
        with Session(tracker, future=True) as tracker_session, \
                Session(project, future=True) as project_session:
            shop_session = tracker_session if same else project_session
            stores = Stores(tracker_session, shop_session, frozenset(inspect(project).get_table_names()))
            yield stores
            if not dry_run:
                shop_session.commit()
                tracker_session.commit()
    except SQLAlchemyError as error:
        raise PrivacyError(f"{type(error).__name__}: {first_line(error)}") from error
    finally:
        if not same:
            tracker.dispose()
