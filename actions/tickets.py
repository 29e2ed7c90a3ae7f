"""Tickets for the advisors, each with the conversation's transcript."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions import normalise
from actions.advisor_messages import advisor_name
from actions.db import session_scope
from actions.models import Ticket

TICKET_OFFSET = 100000  # TKT-100001 is the first ticket


def conversation_lines(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Who said what, and when (ISO 8601, UTC), from Rasa's events: the customer, Colibri, or an
    advisor (a bot event the desk relayed, see ``actions.advisor_messages``)."""
    lines = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not text:
            continue
        advisor = advisor_name(event.get("metadata")) if kind == "bot" else None
        role = "customer" if kind == "user" else "advisor" if advisor else "bot"
        at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc)
        lines.append({"role": role, "text": text, "at": at.isoformat(), "advisor": advisor})
    return lines


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """The conversation so far, as tickets keep it: role, text, time."""
    return [{key: line[key] for key in ("role", "text", "at")} for line in conversation_lines(tracker.events)]


def new_ticket(session: Session, tracker: Tracker, kind: str, reason: str, **fields: Any) -> Ticket:
    """Adds a ticket to ``session`` and gives it its ``TKT-`` number.

    ``email`` defaults to the conversation's ``email`` slot when it holds an address (a forged
    payload can put anything there); ``fields`` fill the other columns.
    """
    fields.setdefault("email", normalise.email(tracker.get_slot("email")))
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
