"""Handing the conversation to a live advisor, and taking it back.

When the advisors work (``knowledge/policies.yml``) and at least one is signed in to
the desk, the conversation joins the desk's queue (a ``Handoff`` and its ``TKT-``
ticket) and is paused (``ConversationPaused``): Rasa records the customer's messages
but Colibri stays silent while the advisor answers through the desk. Otherwise the
customer is offered a callback or a written answer (``actions/callbacks.py``).
When the advisor closes, the desk resumes the conversation and triggers
``EXTERNAL_handoff_closed``: Colibri speaks again and asks how it went.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions import form_input, policies
from actions.db import session_scope
from actions.desk_models import WAITING, AdvisorSession, Handoff
from actions.guard import apologise_on_failure, external_only
from actions.models import Ticket
from actions.satisfaction import REQUEST_SLOT, survey_due
from actions.tickets import new_ticket, transcript

ONLINE_WINDOW = timedelta(seconds=90)  # the desk page checks in every few seconds
LAST_MESSAGES = 6
MAX_SUMMARY_TEXT = 500
REASON_BY_INTENT = {
    "human_handoff": "customer_request",
    "request_callback": "customer_request",
    "complain": "upset_customer",
    "out_of_scope": "not_understood",
    "nlu_fallback": "not_understood",
}
NOT_A_REQUEST = {"affirm", "deny", "greet", "goodbye", "thank", "human_handoff", "complain",
                 "stop", "bot_challenge", "ask_capabilities", "nlu_fallback", "out_of_scope",
                 "inform", "give_rating"}


def handoff_reason(tracker: Tracker) -> str:
    """Why the customer is handed over, from their latest messages (a « oui » says nothing)."""
    for event in reversed(form_input.user_events(tracker)):
        intent = form_input.intent_of(event)
        if intent not in ("affirm", "deny"):
            return REASON_BY_INTENT.get(intent or "", "offered")
    return "customer_request"


def summary(tracker: Tracker) -> Dict[str, Any]:
    """What an advisor reads first: the request, the verified identity, the last messages."""
    requests = [e.get("text") for e in form_input.user_events(tracker)
                if form_input.intent_of(e) not in NOT_A_REQUEST and e.get("text")]
    messages = [{"role": line["role"], "text": line["text"][:MAX_SUMMARY_TEXT]}
                for line in transcript(tracker)[-LAST_MESSAGES:]]
    order = tracker.get_slot("verified_order")
    return {
        "request": requests[-1][:MAX_SUMMARY_TEXT] if requests else None,
        "order": order,
        "email": tracker.get_slot("email") if order else None,  # only once proved
        "last_messages": messages,
    }


def advisors_online(session: Session, now: datetime) -> int:
    """How many advisors have the desk open right now."""
    return session.execute(
        select(func.count(func.distinct(AdvisorSession.username)))
        .where(AdvisorSession.last_seen >= now - ONLINE_WINDOW, AdvisorSession.expires_at > now)
    ).scalar_one()


def _enqueue(session: Session, tracker: Tracker, reason: str, now: datetime) -> Handoff:
    """The conversation's waiting handoff, created with its ticket if there is none."""
    waiting = session.execute(
        select(Handoff).where(Handoff.conversation_id == tracker.sender_id, Handoff.status == WAITING)
    ).scalars().first()
    if waiting is not None:
        return waiting
    ticket = new_ticket(session, tracker, kind="handoff", reason=reason,
                        order_number=tracker.get_slot("verified_order"))
    handoff = Handoff(ticket_id=ticket.id, conversation_id=tracker.sender_id, channel=ticket.channel,
                      reason=reason, status=WAITING, created_at=now,
                      summary=json.dumps(summary(tracker), ensure_ascii=False))
    session.add(handoff)
    session.flush()
    return handoff


def _place_in_queue(session: Session, handoff: Handoff) -> int:
    return session.execute(
        select(func.count(Handoff.id)).where(Handoff.status == WAITING, Handoff.id <= handoff.id)
    ).scalar_one()


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker,
              reason: Optional[str] = None) -> List[Dict[str, Any]]:
    """Queues the conversation for the desk and pauses it, or offers a callback / e-mail."""
    events: List[Dict[str, Any]] = [SlotSet("awaiting_confirmation", None)]
    if tracker.active_loop.get("name"):
        events.append(ActiveLoop(None))
    now = datetime.utcnow()
    if policies.advisors_working():
        with session_scope() as session:
            if advisors_online(session, now):
                handoff = _enqueue(session, tracker, reason or handoff_reason(tracker), now)
                ticket = session.get(Ticket, handoff.ticket_id).number
                position = _place_in_queue(session, handoff)
                dispatcher.utter_message(response="utter_handoff_queued", ticket=ticket,
                                         position=str(position))
                return [*events, ConversationPaused()]
    dispatcher.utter_message(response="utter_no_advisor_available",
                             advisor_hours=policies.all_values()["advisor_hours"])
    return events


class ActionHandoff(Action):
    """The customer wants (or accepted) an advisor."""

    def name(self) -> str:
        return "action_handoff"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        return hand_over(dispatcher, tracker)


class ActionDeclineAdvisor(Action):
    """The customer said no to the advisor Colibri offered."""

    def name(self) -> str:
        return "action_decline_advisor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_no_advisor")
        return [SlotSet("awaiting_confirmation", None)]


class ActionHandoffClosed(Action):
    """The advisor closed the conversation on the desk: Colibri is back and asks how it went."""

    def name(self) -> str:
        return "action_handoff_closed"

    @external_only("advisor's hand-back")  # only the desk hands back
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        advisor = (form_input.entity(tracker, "advisor_name") or "notre conseiller")[:64]
        if not survey_due(tracker):  # already asked in this conversation: once is enough
            dispatcher.utter_message(response="utter_handoff_back_no_survey", advisor=advisor)
            return [SlotSet("awaiting_confirmation", None)]
        dispatcher.utter_message(response="utter_handoff_back", advisor=advisor)
        return [SlotSet("awaiting_confirmation", "rating"), SlotSet(REQUEST_SLOT, "handoff")]
