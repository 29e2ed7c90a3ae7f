"""Reading Rasa's SQL tracker store for the KPIs: read-only, streamed, up to a moment.

The table, its location and its reading are those of ``trainers.tracker_source``
(``events``; ``--tracker-url``, else ``TRACKER_STORE_URL``, else endpoints.yml). Rows come
in ``(sender_id, id)`` order, one customer after the other; only the event types the KPIs
use are read, and of ``slot`` events only the survey's slot.
"""

from __future__ import annotations

from typing import Dict, List

from sqlalchemy.engine import Engine

from kpi.conversations import SURVEY_SLOT, Conversation, sessions, summarise
from trainers.selection import Thresholds
from trainers.tracker_source import EVENT_TYPES, conversations


def read_conversations(engine: Engine, since: float, until: float,
                       thresholds: Thresholds) -> Dict[str, List[Conversation]]:
    """Every customer's conversations begun before ``until``, in time order; those begun
    before ``since`` (history) with their date and channel only."""
    found: Dict[str, List[Conversation]] = {}
    for sender, events in conversations(engine, types=EVENT_TYPES, until=until, slots=(SURVEY_SLOT,)):
        for session in sessions(events):
            conversation = summarise(sender, session, thresholds, since)
            if conversation is not None and conversation.started_at < until:
                found.setdefault(sender, []).append(conversation)
    return found
