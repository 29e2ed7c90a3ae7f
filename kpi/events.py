"""Reading Rasa's SQL tracker store for the KPIs: read-only, streamed, up to a moment.

The table and its location are those of ``trainers.tracker_source`` (``events``;
``--tracker-url``, else ``TRACKER_STORE_URL``, else endpoints.yml). Rows come in
``(sender_id, id)`` order, one customer after the other; only the event types the
KPIs use are read, and of ``slot`` events only the survey's slot.
"""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any, Dict, Iterator, List, Optional, Tuple

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import SQLAlchemyError

from kpi.conversations import SURVEY_SLOT, Conversation, sessions, summarise
from trainers.readonly_db import InboxError
from trainers.selection import Thresholds
from trainers.tracker_source import BATCH, EVENTS

JSON_TYPES = ("user", "bot", "slot")  # the others need only their columns


def _event(row: Row) -> Optional[Dict[str, Any]]:
    if row.type_name not in JSON_TYPES:
        return {"event": row.type_name, "name": row.action_name, "timestamp": row.timestamp}
    try:
        event = json.loads(row.data or "")
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    event.setdefault("timestamp", row.timestamp)
    return event


def customers(engine: Engine, until: float) -> Iterator[Tuple[str, Iterator[Dict[str, Any]]]]:
    """``(sender_id, events)`` for each customer, events before ``until``; consume each in turn."""
    wanted = or_(EVENTS.c.type_name.in_(("user", "bot", "action", "session_started")),
                 and_(EVENTS.c.type_name == "slot", EVENTS.c.action_name == SURVEY_SLOT))
    query = (select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.action_name,
                    EVENTS.c.data)
             .where(wanted, EVENTS.c.timestamp < until)
             .order_by(EVENTS.c.sender_id, EVENTS.c.id))
    try:
        with engine.connect() as conn:
            rows = conn.execution_options(stream_results=True).execute(query).yield_per(BATCH)
            for sender, group in groupby(rows, key=lambda row: row.sender_id):
                yield sender, (e for e in map(_event, group) if e is not None)
    except SQLAlchemyError as error:
        raise InboxError(f"cannot read Rasa's events table: {type(error).__name__}: "
                         f"{str(error).splitlines()[0]}") from error


def read_conversations(engine: Engine, since: float, until: float,
                       thresholds: Thresholds) -> Dict[str, List[Conversation]]:
    """Every customer's conversations begun before ``until``, in time order; those begun
    before ``since`` (history) with their date and channel only."""
    found: Dict[str, List[Conversation]] = {}
    for sender, events in customers(engine, until):
        for session in sessions(events):
            conversation = summarise(sender, session, thresholds, since)
            if conversation is not None and conversation.started_at < until:
                found.setdefault(sender, []).append(conversation)
    return found
