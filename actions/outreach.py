"""Colibri writes first: the delivery check and the reminder of an unfinished return.

- When a customer proves who they are (order number + e-mail), the conversation is
  remembered as theirs (``remember_conversation``): the shop's « order delivered »
  notice (``proactive/``) is written there, on that conversation's latest channel.
- ``action_ask_delivery_feedback`` (``EXTERNAL_order_delivered``): « Avez-vous bien reçu
  votre colis ? Êtes-vous satisfait ? »; « non » opens an investigation, « oui » asks for
  the rating, « stop » stops Colibri's own messages (``action_stop_notifications``).
- A return started and not finished is recalled after ``RETURN_REMINDER_AFTER``
  seconds (default one day) with Rasa's reminders: scheduled by ``return_form``'s
  validation, cancelled when the return is registered; ``action_remind_return`` checks
  again before writing (opt-out, Messenger's 24-hour window, return made meanwhile). If
  the return form is still open, the reminder is followed by its pending question.
  Each reminder is also recorded in the shop's database (``pending_reminders``): if the
  Rasa server that holds it is gone when it is due, a web server sends it
  (``proactive.reminders``), and it is never sent twice.

Messenger only lets a page write within 24 hours of the customer's last message,
unless a message tag applies; no tag covers a satisfaction question or a reminder to
finish a return, so outside the window nothing is sent.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ReminderCancelled, ReminderScheduled, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from actions import form_input, normalise, returns, shop, wording
from actions.db import session_scope
from actions.guard import apologise_on_failure, external_only
from actions.models import Order
from actions.outreach_models import CustomerConversation, NotificationOptOut, PendingReminder
from actions.settings import number_from_env

logger = logging.getLogger(__name__)

MESSENGER_WINDOW = timedelta(hours=24)
REMINDER_INTENT = "EXTERNAL_return_reminder"
DELIVERED_INTENT = "EXTERNAL_order_delivered"


def return_reminder_delay() -> float:
    """Seconds between a return left unfinished and its reminder (``RETURN_REMINDER_AFTER``)."""
    return number_from_env("RETURN_REMINDER_AFTER", os.environ.get("RETURN_REMINDER_AFTER"),
                           86400.0, 1.0, 30 * 86400.0)


def within_messaging_window(channel: Optional[str], last_customer_message: Optional[float],
                            now: Optional[float] = None) -> bool:
    """Whether Colibri may write first on ``channel`` (Messenger: 24 h after the customer's
    last message; the other channels have no such rule)."""
    if channel != "facebook":
        return True
    if last_customer_message is None:
        return False
    now = time.time() if now is None else now
    return now - last_customer_message < MESSENGER_WINDOW.total_seconds()


def last_customer_message(events: List[Dict[str, Any]]) -> Optional[float]:
    """Timestamp of the last message the customer wrote (external intents do not count)."""
    for event in reversed(events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if event.get("event") == "user" and not intent.startswith("EXTERNAL_"):
            return event.get("timestamp")
    return None


def _customer_of(session: Any, order_number: str) -> Optional[int]:
    return session.execute(select(Order.customer_id).where(Order.number == order_number)).scalar()


def remember_conversation(tracker: Tracker, order_number: str) -> None:
    """Links this conversation to the customer who owns ``order_number`` (just proved)."""
    channel = (tracker.get_latest_input_channel() or "unknown")[:40]
    with session_scope() as session:
        customer = _customer_of(session, order_number)
        if customer is None:
            return
        link = session.execute(select(CustomerConversation).where(
            CustomerConversation.customer_id == customer,
            CustomerConversation.conversation_id == tracker.sender_id)).scalar()
        if link is None:
            link = CustomerConversation(customer_id=customer, conversation_id=tracker.sender_id)
            session.add(link)
        link.channel, link.last_seen = channel, datetime.utcnow()


def opted_out(customer_id: Optional[int]) -> bool:
    """Whether the customer asked Colibri not to write first."""
    if customer_id is None:
        return False
    with session_scope() as session:
        return session.get(NotificationOptOut, customer_id) is not None


def _customer_of_conversation(tracker: Tracker) -> Optional[int]:
    order = tracker.get_slot("verified_order")
    with session_scope() as session:
        if order:
            return _customer_of(session, order)
        return session.execute(
            select(CustomerConversation.customer_id)
            .where(CustomerConversation.conversation_id == tracker.sender_id)
            .order_by(CustomerConversation.last_seen.desc()).limit(1)).scalar()


def schedule_return_reminder(tracker: Tracker) -> Dict[str, Any]:
    """The reminder of this conversation's unfinished return (rescheduling replaces it).

    Rasa keeps it in the memory of this Rasa server; it is also recorded in the shop's
    database, where ``proactive.reminders`` finds it if that server is gone when it is due.
    """
    number = tracker.get_slot("order_id")
    delay = timedelta(seconds=return_reminder_delay())
    _keep(tracker.sender_id, "recorded", lambda session: _record_reminder(
        session, tracker.sender_id, normalise.order_id(number), datetime.utcnow() + delay))
    entities = [{"entity": "order_id", "value": number}] if number else []
    return ReminderScheduled(
        REMINDER_INTENT, datetime.now() + delay,
        entities=entities, name=_reminder_name(tracker), kill_on_user_message=False)


def cancel_return_reminder(tracker: Tracker) -> Dict[str, Any]:
    _keep(tracker.sender_id, "cancelled", lambda session: session.execute(
        delete(PendingReminder).where(PendingReminder.conversation_id == tracker.sender_id)))
    return ReminderCancelled(name=_reminder_name(tracker))


def _record_reminder(session: Any, conversation: str, number: Optional[str], due_at: datetime) -> None:
    row = session.get(PendingReminder, conversation)
    if row is None:
        row = PendingReminder(conversation_id=conversation)
        session.add(row)
    row.order_number, row.due_at, row.claimed_at, row.sent_at = number, due_at, None, None


def _keep(conversation: str, what: str, change: Any) -> None:
    """Writes a reminder's change; without the database, Rasa's own reminder still works."""
    try:
        with session_scope() as session:
            change(session)
    except (SQLAlchemyError, ValueError) as error:  # ValueError: PostgreSQL refuses a NUL in the id
        logger.warning("return reminder of %r not %s in the database (Rasa's memory only): %s",
                       conversation, what, type(error).__name__)


def first_to_send_reminder(conversation: str) -> bool:
    """Whether this run of the reminder is the one to speak: Rasa's scheduler and a web
    server's sweep may both fire it; the first marks it sent. A reminder recorded nowhere
    (the database was down when it was scheduled) is sent."""
    with session_scope() as session:
        marked = session.execute(update(PendingReminder)
                                 .where(PendingReminder.conversation_id == conversation,
                                        PendingReminder.sent_at.is_(None))
                                 .values(sent_at=datetime.utcnow())).rowcount
        return marked == 1 or session.get(PendingReminder, conversation) is None


def _reminder_name(tracker: Tracker) -> str:
    # Rasa 3.6 keys its scheduler's jobs by the reminder's name alone: one name per conversation.
    return f"return-reminder-{tracker.sender_id}"


class ActionAskDeliveryFeedback(Action):
    """The shop says the order was delivered: did it arrive, is the customer satisfied?"""

    def name(self) -> str:
        return "action_ask_delivery_feedback"

    @apologise_on_failure()
    @external_only("delivery notice")  # a customer typing the notice learns nothing
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        number = form_input.entity(tracker, "order_id")
        order = shop.find_order(number) if number else None
        if order is None:
            logger.warning("delivery notice for an unknown order: nothing said")
            return []
        dispatcher.utter_message(response="utter_ask_delivery_feedback", **wording.order_facts(order))
        # The notice names the customer's own order: this conversation is theirs (proved before).
        # order_id (set by the notice's entity) is cleared: the next request asks which order.
        return [SlotSet("verified_order", order.number), SlotSet("order_id", None),
                SlotSet("awaiting_confirmation", "parcel_received")]


class ActionStopNotifications(Action):
    """« Stop » to a message Colibri wrote first: no more such messages for this customer."""

    def name(self) -> str:
        return "action_stop_notifications"

    @apologise_on_failure(SlotSet("awaiting_confirmation", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        customer = _customer_of_conversation(tracker)
        if customer is not None:
            with session_scope() as session:
                if session.get(NotificationOptOut, customer) is None:
                    session.add(NotificationOptOut(customer_id=customer, created_at=datetime.utcnow()))
        dispatcher.utter_message(response="utter_notifications_stopped")
        return [SlotSet("awaiting_confirmation", None), cancel_return_reminder(tracker)]


class ActionRemindReturn(Action):
    """The reminder fired: recall the unfinished return, unless that is no longer right."""

    def name(self) -> str:
        return "action_remind_return"

    @apologise_on_failure()
    @external_only("return reminder")  # only Rasa's scheduler reminds
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        if not first_to_send_reminder(tracker.sender_id):
            logger.info("return reminder not sent: already_sent")
            return []
        number = form_input.entity(tracker, "order_id")
        why_not = self._why_not(tracker, number)
        if why_not:
            logger.info("return reminder not sent: %s", why_not)
            return []
        if tracker.active_loop.get("name") == "return_form":  # the form then asks its question again
            dispatcher.utter_message(response="utter_return_reminder_in_form")
            return []
        if number:
            dispatcher.utter_message(response="utter_return_reminder_order", order_id=number)
            # « oui » takes the return up again for this order (the slot is not filled from
            # a reminder's entity: see domain.yml).
            return [SlotSet("awaiting_confirmation", "return_reminder"), SlotSet("order_id", number)]
        dispatcher.utter_message(response="utter_return_reminder")
        return [SlotSet("awaiting_confirmation", "return_reminder")]

    @staticmethod
    def _why_not(tracker: Tracker, number: Optional[str]) -> Optional[str]:
        if opted_out(_customer_of_conversation(tracker)):
            return "opted_out"
        if not within_messaging_window(tracker.get_latest_input_channel(),
                                       last_customer_message(tracker.events)):
            return "outside_messaging_window"
        if number and any(line.return_number for line in returns.order_lines(number)):
            return "return_made"
        return None
