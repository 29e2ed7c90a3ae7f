"""Tickets for the advisors, each with the conversation's transcript."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.db import session_scope
from actions.models import Ticket

TICKET_OFFSET = 100000  # TKT-100001 is the first ticket


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """The conversation so far: who said what, and when (ISO 8601, UTC)."""
    lines = []
    for event in tracker.events:
        role = {"user": "customer", "bot": "bot"}.get(event.get("event"))
        if role and event.get("text"):
            at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc)
            lines.append({"role": role, "text": event["text"], "at": at.isoformat()})
    return lines


def new_ticket(session: Session, tracker: Tracker, kind: str, reason: str, **fields: Any) -> Ticket:
    """Adds a ticket to ``session`` and gives it its ``TKT-`` number.

    ``email`` defaults to the conversation's ``email`` slot; ``fields`` fill the other columns.
    """
    fields.setdefault("email", tracker.get_slot("email"))
    ticket = Ticket(
        kind=kind,
        reason=reason,
        conversation_id=tracker.sender_id,
        channel=(tracker.get_latest_input_channel() or "unknown")[:40],
        transcript=json.dumps(transcript(tracker), ensure_ascii=False),
        created_at=datetime.utcnow(),
        **fields,
    )
    session.add(ticket)
    session.flush()
    ticket.number = f"TKT-{TICKET_OFFSET + ticket.id}"
    return ticket


def open_ticket(tracker: Tracker, kind: str, reason: str,
                order_number: Optional[str] = None, **fields: Any) -> str:
    """Records a ticket with the transcript and returns its ``TKT-`` number."""
    with session_scope() as session:
        return new_ticket(session, tracker, kind, reason, order_number=order_number, **fields).number
