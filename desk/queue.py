"""The desk's queue: waiting conversations, who has which, and the team's tickets.

Taking is one conditional UPDATE (``status = 'waiting'``), so when two advisors click
at once exactly one gets the conversation, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import case, select, update

from actions.db import session_scope
from actions.desk_models import CLOSED, TAKEN, WAITING, Handoff
from actions.handoff import advisors_online
from actions.models import Ticket
from desk import accounts

REASON_LABELS = {
    "customer_request": "Demande du client",
    "upset_customer": "Client mécontent",
    "not_understood": "Colibri n'a pas compris",
    "identity_check_failed": "Vérification d'identité échouée",
    "offered": "Proposé par Colibri",
}
TEAM_TICKETS = ("callback", "email", "investigation")
MAX_TICKETS = 200


def _name(username: Optional[str]) -> Optional[str]:
    advisor = accounts.find(username) if username else None
    return advisor.name if advisor else username


def as_dict(handoff: Handoff, now: Optional[datetime] = None) -> Dict[str, Any]:
    """A handoff as the desk page shows it."""
    now = now or datetime.utcnow()
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": handoff.channel,
        "reason": handoff.reason,
        "reason_label": REASON_LABELS.get(handoff.reason, handoff.reason),
        "status": handoff.status,
        "advisor": _name(handoff.advisor),
        "created_at": handoff.created_at.isoformat() + "Z",
        "waiting_seconds": max(0, int((now - handoff.created_at).total_seconds())),
        "summary": json.loads(handoff.summary or "{}"),
    }


def overview(username: str) -> Dict[str, Any]:
    """The waiting queue (oldest first), the conversations ``username`` has, who is online."""
    now = datetime.utcnow()
    with session_scope() as db:
        waiting = db.execute(select(Handoff).where(Handoff.status == WAITING).order_by(Handoff.id)).scalars()
        mine = db.execute(select(Handoff).where(Handoff.status == TAKEN, Handoff.advisor == username)
                          .order_by(Handoff.taken_at)).scalars()
        return {"waiting": [as_dict(h, now) for h in waiting], "mine": [as_dict(h, now) for h in mine],
                "online_advisors": advisors_online(db, now)}


def get(handoff_id: int) -> Optional[Handoff]:
    with session_scope() as db:
        return db.get(Handoff, handoff_id)


def take(handoff_id: int, username: str) -> bool:
    """Assigns a waiting conversation to ``username``; False when someone was faster."""
    with session_scope() as db:
        result = db.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status == WAITING)
                            .values(status=TAKEN, advisor=username, taken_at=datetime.utcnow()))
        return result.rowcount == 1


def close(handoff_id: int, username: str) -> bool:
    """Closes ``username``'s conversation and its handoff ticket."""
    now = datetime.utcnow()
    with session_scope() as db:
        result = db.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status == TAKEN,
                                                  Handoff.advisor == username)
                            .values(status=CLOSED, closed_at=now))
        if result.rowcount != 1:
            return False
        ticket_id = db.get(Handoff, handoff_id).ticket_id
        db.execute(update(Ticket).where(Ticket.id == ticket_id).values(status="done", done_at=now,
                                                                        done_by=username))
        return True


def ticket_dict(ticket: Ticket) -> Dict[str, Any]:
    return {
        "number": ticket.number, "kind": ticket.kind, "reason": ticket.reason, "status": ticket.status,
        "phone": ticket.phone, "slot": ticket.slot, "email": ticket.email, "question": ticket.question,
        "order": ticket.order_number, "conversation_id": ticket.conversation_id,
        "created_at": ticket.created_at.isoformat() + "Z", "done_by": _name(ticket.done_by),
    }


def team_tickets() -> List[Dict[str, Any]]:
    """Callbacks, written answers and investigations: open ones first, oldest first."""
    with session_scope() as db:
        rows = db.execute(select(Ticket).where(Ticket.kind.in_(TEAM_TICKETS))
                          .order_by(case((Ticket.status == "open", 0), else_=1), Ticket.id)
                          .limit(MAX_TICKETS)).scalars()
        return [ticket_dict(t) for t in rows]


def mark_done(number: str, username: str) -> Optional[Dict[str, Any]]:
    """Marks a team ticket done; None when there is no such ticket."""
    with session_scope() as db:
        ticket = db.execute(select(Ticket).where(Ticket.number == number,
                                                 Ticket.kind.in_(TEAM_TICKETS))).scalar()
        if ticket is None:
            return None
        if ticket.status != "done":
            ticket.status, ticket.done_at, ticket.done_by = "done", datetime.utcnow(), username
        return ticket_dict(ticket)
