"""What forgetting conversations does, table by table; the same for retention and erasure.

- Rasa's ``events``: deleted.
- ``customer_conversations``, ``link_requests``, ``proactive_messages``, ``pending_reminders``:
  deleted.
- ``tickets``: kept as the service's record (number, kind, reason, status, channel, dates,
  advisor) without anything personal: transcript ``[]``, e-mail, phone, question and order
  number emptied, conversation id replaced by a random alias (``anonyme-…``).
- ``satisfaction_ratings`` and ``handoffs``: anonymised the same way when ``keep_statistics``
  (the rating, request, reason and dates stay for the KPIs; comment and summary go),
  deleted otherwise.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from actions.account_models import LinkRequest
from actions.desk_models import Handoff
from actions.models import Ticket
from actions.outreach_models import CustomerConversation, PendingReminder, ProactiveMessage
from actions.survey_models import SatisfactionRating
from trainers.tracker_source import EVENTS

ALIAS_PREFIX = "anonyme-"
CHUNK = 500  # ids per IN (...): SQLite's and the drivers' limits stay far away
DELETED = (CustomerConversation, LinkRequest, ProactiveMessage, PendingReminder)
CLEARED: Dict[Any, Dict[str, Any]] = {
    Ticket: {"transcript": "[]", "email": None, "phone": None, "question": None, "order_number": None},
    Handoff: {"summary": "{}"},
    SatisfactionRating: {"comment": None},
}
# The project's tables with a conversation id, and the date that tells a row's age.
DATED = {
    Ticket: Ticket.created_at,
    Handoff: Handoff.created_at,
    SatisfactionRating: SatisfactionRating.created_at,
    CustomerConversation: CustomerConversation.last_seen,
    LinkRequest: LinkRequest.created_at,
    ProactiveMessage: ProactiveMessage.created_at,
    PendingReminder: PendingReminder.due_at,
}


@dataclass
class Changes:
    """Rows deleted and anonymised per table, and the conversations concerned."""

    deleted: Counter = field(default_factory=Counter)
    anonymised: Counter = field(default_factory=Counter)
    conversations: Set[str] = field(default_factory=set)


def chunks(values: Iterable[str]) -> Iterator[List[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def present(tables: FrozenSet[str], *models: Any) -> List[Any]:
    """``models`` whose table exists (an older database may lack the newer tables)."""
    return [model for model in models if model.__tablename__ in tables]


def delete_events(tracker: Session, senders: Iterable[str], unless_since: Optional[float] = None) -> int:
    """Deletes the conversations' events; with ``unless_since``, not those of a conversation
    that got an event at or after that time meanwhile (the customer came back)."""
    count = 0
    for chunk in chunks(senders):
        statement = delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))
        if unless_since is not None:
            recent = select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.in_(chunk),
                                                      EVENTS.c.timestamp >= unless_since)
            statement = statement.where(EVENTS.c.sender_id.not_in(recent))
        count += tracker.execute(statement).rowcount
    return count


def _run(shop: Session, statement: Any) -> int:
    return shop.execute(statement.execution_options(synchronize_session=False)).rowcount


def _anonymise(shop: Session, model: Any, conversations: Sequence[str], aliases: Dict[str, str]) -> int:
    count = 0
    for chunk in chunks(conversations):
        found = shop.execute(select(model.conversation_id).distinct()
                             .where(model.conversation_id.in_(chunk))).scalars().all()
        for conversation in found:
            alias = aliases.setdefault(conversation, ALIAS_PREFIX + secrets.token_hex(8))
            count += _run(shop, update(model).where(model.conversation_id == conversation)
                          .values(conversation_id=alias, **CLEARED[model]))
    return count


def _delete(shop: Session, model: Any, conversations: Sequence[str]) -> int:
    count = 0
    for chunk in chunks(conversations):
        condition = model.conversation_id.in_(chunk)
        if model is SatisfactionRating:  # also ratings of these conversations' handoffs (foreign key)
            condition = or_(condition, model.handoff_id.in_(
                select(Handoff.id).where(Handoff.conversation_id.in_(chunk))))
        count += _run(shop, delete(model).where(condition))
    return count


def forget_rows(shop: Session, tables: FrozenSet[str], conversations: Sequence[str],
                keep_statistics: bool, changes: Changes) -> None:
    """The project's rows of ``conversations``, treated as this module's docstring says."""
    aliases: Dict[str, str] = {}
    statistics = present(tables, SatisfactionRating, Handoff)  # ratings first: they point to handoffs
    for model in present(tables, *DELETED, *([] if keep_statistics else statistics)):
        changes.deleted[model.__tablename__] += _delete(shop, model, conversations)
    for model in present(tables, Ticket, *(statistics if keep_statistics else [])):
        changes.anonymised[model.__tablename__] += _anonymise(shop, model, conversations, aliases)


def forget(tracker: Session, shop: Session, tables: FrozenSet[str], conversations: Iterable[str],
           keep_statistics: bool, unless_since: Optional[float] = None) -> Changes:
    """Forgets ``conversations`` in the tracker store and the project's tables."""
    changes = Changes(conversations=set(conversations))
    ordered = sorted(changes.conversations)
    changes.deleted[EVENTS.name] += delete_events(tracker, ordered, unless_since)
    forget_rows(shop, tables, ordered, keep_statistics, changes)
    return changes
