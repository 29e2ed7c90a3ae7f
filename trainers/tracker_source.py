"""Reading Rasa 3.6's SQL tracker store: where it is, and its events, streamed.

The table is ``SQLTrackerStore.SQLEvent`` (``rasa/core/tracker_store.py``):
``events(id, sender_id, type_name, timestamp, intent_name, action_name, data)``,
``data`` being the event as JSON. Rows are streamed in ``(sender_id, id)`` order,
one conversation after the other, never the whole table at once.
"""

from __future__ import annotations

import json
import os
import time
from itertools import groupby
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple
from urllib.parse import urlsplit

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, and_, or_, select
from sqlalchemy.engine import URL, Engine, Row
from sqlalchemy.exc import SQLAlchemyError

from trainers.readonly_db import InboxError

ROOT = Path(__file__).resolve().parent.parent
ENV_URL = "TRACKER_STORE_URL"
EVENT_TYPES = ("user", "bot", "action", "session_started")
BATCH = 500

EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def url_from_endpoints(path: Path, root: Path = ROOT) -> str:
    """The SQLAlchemy URL of the ``tracker_store`` of an ``endpoints.yml``.

    Built like ``SQLTrackerStore.get_db_url``: ``dialect``, ``host`` (a full URL
    there wins), ``port``, ``db``, ``username``, ``password``, ``query``; a relative
    SQLite ``db`` is taken from ``root``, where ``make run`` starts Rasa.
    """
    from rasa.shared.utils.io import read_yaml_file  # replaces ${ENV_VARS} like Rasa does

    if not path.is_file():
        raise InboxError(f"no {path}: pass --tracker-url or set {ENV_URL}")
    store = (read_yaml_file(path) or {}).get("tracker_store") or {}
    if str(store.get("type", "")).lower() != "sql":
        raise InboxError(f"the tracker_store of {path} is not of type SQL: "
                         f"pass --tracker-url or set {ENV_URL}")
    dialect = str(store.get("dialect") or "sqlite")
    host, port = store.get("host"), store.get("port")
    if host and "://" in str(host):
        return str(host)
    if host:
        parsed = urlsplit(f"scheme://{host}")
        host, port = parsed.hostname or host, parsed.port or port
    database = str(store.get("db") or "rasa.db")
    if dialect.startswith("sqlite") and database != ":memory:" and not Path(database).is_absolute():
        database = str(root / database)
    url = URL.create(dialect, store.get("username"), store.get("password"), host,
                     int(port) if port else None, database, query=store.get("query") or {})
    return url.render_as_string(hide_password=False)


def resolve_url(cli_url: Optional[str], endpoints: Path = ROOT / "endpoints.yml") -> str:
    """``--tracker-url``, else ``TRACKER_STORE_URL``, else ``endpoints.yml``."""
    return cli_url or os.environ.get(ENV_URL) or url_from_endpoints(endpoints)


def _event(row: Row) -> Optional[Dict[str, Any]]:
    """The row as Rasa's event dictionary, with its ``timestamp``; None if its JSON is unreadable."""
    if row.type_name == "action":  # all that matters is in a column: skip the JSON
        return {"event": "action", "name": row.action_name, "timestamp": row.timestamp}
    if row.type_name == "session_started":
        return {"event": "session_started", "timestamp": row.timestamp}
    try:
        event = json.loads(row.data or "")
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    event.setdefault("timestamp", row.timestamp)
    return event


Events = Iterator[Dict[str, Any]]


def conversations(engine: Engine, since_days: Optional[float] = None,
                  senders: Optional[Tuple[str, ...]] = None,
                  types: Tuple[str, ...] = EVENT_TYPES, until: Optional[float] = None,
                  slots: Tuple[str, ...] = ()) -> Iterator[Tuple[str, Events]]:
    """``(sender_id, events)`` of the ``types`` for each conversation; consume ``events`` before the next.

    ``since_days``: only the events of the last days; ``until``: only those before this Unix
    time; ``slots``: also the ``slot`` events setting these slots.
    """
    wanted = EVENTS.c.type_name.in_(types)
    if slots:  # a slot event's slot name is in the action_name column
        wanted = or_(wanted, and_(EVENTS.c.type_name == "slot", EVENTS.c.action_name.in_(slots)))
    query = select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.action_name,
                   EVENTS.c.data).where(wanted)
    if since_days is not None:
        query = query.where(EVENTS.c.timestamp >= time.time() - since_days * 86400)
    if until is not None:
        query = query.where(EVENTS.c.timestamp < until)
    if senders is not None:
        query = query.where(EVENTS.c.sender_id.in_(senders))
    query = query.order_by(EVENTS.c.sender_id, EVENTS.c.id)
    try:
        with engine.connect() as conn:
            rows = conn.execution_options(stream_results=True).execute(query).yield_per(BATCH)
            for sender, group in groupby(rows, key=lambda row: row.sender_id):
                yield sender, (e for e in map(_event, group) if e is not None)
    except SQLAlchemyError as error:
        raise InboxError(f"cannot read Rasa's events table: {type(error).__name__}: "
                         f"{str(error).splitlines()[0]}") from error
