"""« Your order was delivered »: Colibri asks the customer whether it arrived.

The message goes to the latest conversation in which the order's customer proved who
they are (``customer_conversations``), through Rasa's ``trigger_intent`` with
``output_channel=latest``: the customer reads it on the channel they last used. It is
not sent (and the reason is recorded in ``proactive_messages``) when the order was
already notified, the customer never talked to Colibri or said « stop » to its
messages, or on Messenger more than 24 hours after the customer's last message.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Dict, Optional

from sqlalchemy import select

from actions import normalise
from actions.db import session_scope
from actions.models import Order
from actions.outreach import (
    DELIVERED_INTENT,
    last_customer_message,
    opted_out,
    within_messaging_window,
)
from actions.outreach_models import FAILED, SENT, SKIPPED, CustomerConversation, ProactiveMessage
from desk.rasa_api import RasaApi, RasaUnavailable

logger = logging.getLogger(__name__)
KIND = "order_delivered"


@dataclass
class Outcome:
    """What happened to one notice; ``http_status`` is the endpoint's answer."""

    status: str  # sent | skipped | failed | invalid | unknown_order
    reason: Optional[str] = None
    order_id: Optional[str] = None
    conversation_id: Optional[str] = None
    channel: Optional[str] = None
    http_status: int = 200

    def to_json(self) -> Dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "http_status" and v is not None}


def _record(outcome: Outcome, customer_id: Optional[int]) -> Outcome:
    with session_scope() as session:
        session.add(ProactiveMessage(
            kind=KIND, order_number=outcome.order_id, customer_id=customer_id,
            conversation_id=outcome.conversation_id, channel=outcome.channel,
            status=outcome.status, reason=outcome.reason, created_at=datetime.utcnow()))
    logger.info("delivery notice %s: %s%s", outcome.order_id, outcome.status,
                f" ({outcome.reason})" if outcome.reason else "")
    return outcome


def notify_delivered(order: Any, rasa: Optional[RasaApi] = None) -> Outcome:
    """Asks the customer of ``order`` (``CO`` + 6 digits) whether the parcel arrived."""
    number = normalise.order_id(order) if isinstance(order, str) and len(order) <= 40 else None
    if number is None:
        return Outcome("invalid", "order_id must be CO followed by 6 digits", http_status=400)
    with session_scope() as session:
        customer = session.execute(select(Order.customer_id).where(Order.number == number)).scalar()
        if customer is None:
            return Outcome("unknown_order", "no such order", number, http_status=404)
        already = session.execute(select(ProactiveMessage.id).where(
            ProactiveMessage.kind == KIND, ProactiveMessage.order_number == number,
            ProactiveMessage.status == SENT)).first()
        link = session.execute(
            select(CustomerConversation.conversation_id, CustomerConversation.channel)
            .where(CustomerConversation.customer_id == customer)
            .order_by(CustomerConversation.last_seen.desc()).limit(1)).first()
    if already:
        return Outcome(SKIPPED, "already_sent", number)  # not recorded again
    if link is None:
        return _record(Outcome(SKIPPED, "no_conversation", number), customer)
    outcome = Outcome(SKIPPED, None, number, link.conversation_id, link.channel)
    if opted_out(customer):
        outcome.reason = "opted_out"
        return _record(outcome, customer)
    rasa = rasa or RasaApi.from_env()
    try:
        tracker = rasa.tracker(link.conversation_id)
        outcome.channel = tracker.get("latest_input_channel") or link.channel
        if not within_messaging_window(outcome.channel, last_customer_message(tracker.get("events") or [])):
            outcome.reason = "outside_messaging_window"
            return _record(outcome, customer)
        rasa.trigger(link.conversation_id, DELIVERED_INTENT, {"order_id": number})
    except RasaUnavailable as error:
        logger.error("delivery notice %s: Rasa unavailable: %s", number, error)
        outcome.status, outcome.reason, outcome.http_status = FAILED, "assistant_unavailable", 503
        return _record(outcome, customer)
    outcome.status = SENT
    return _record(outcome, customer)
