"""Tickets for the advisors, each with the conversation's transcript."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

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


def open_ticket(tracker: Tracker, kind: str, reason: str,
                order_number: Optional[str] = None) -> str:
    """Records a ticket with the transcript and returns its ``TKT-`` number."""
    channel = (tracker.get_latest_input_channel() or "unknown")[:40]
    with session_scope() as session:
        ticket = Ticket(
            kind=kind,
            reason=reason,
            conversation_id=tracker.sender_id,
            channel=channel,
            order_number=order_number,
            email=tracker.get_slot("email"),
            transcript=json.dumps(transcript(tracker), ensure_ascii=False),
            created_at=datetime.utcnow(),
        )
        session.add(ticket)
        session.flush()
        ticket.number = f"TKT-{TICKET_OFFSET + ticket.id}"
        return ticket.number
