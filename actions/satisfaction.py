"""The satisfaction survey (CSAT): a 1–5 rating, then an optional comment.

Colibri asks once per conversation (a Rasa conversation session), after a request it
resolved: an order tracked, a delivered parcel confirmed, a return created, a
cancellation done, an FAQ answer the customer thanks for, and after an advisor hands
back. Never while a form runs; a customer who ignores it just goes on. The request
being rated is kept in the slot ``satisfaction_request`` (which also tells the KPI
report that the survey was asked). Ratings are typed or clicked (``give_rating``):
« 4/5 », « 5 étoiles », « ⭐⭐⭐ », or a bare « 4 » (``inform`` with the regex entity
``rating``); words next to the rating are kept as its comment.
A rating of 2 or less offers an advisor. Rows: ``actions.survey_models``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions import form_input
from actions.db import session_scope
from actions.desk_models import CLOSED, Handoff
from actions.guard import apologise_on_failure
from actions.survey_models import SatisfactionRating

REQUEST_SLOT = "satisfaction_request"
COMMENT_SLOT = "satisfaction_comment"
LOW_RATING = 2  # at or below: an advisor is offered
MAX_COMMENT = 2000  # characters, as the chat box
STARS = "⭐★"

_RATING_WORDS = re.compile(
    r"\b[1-5]\s*(?:/|sur)\s*5\b|\b[1-5]\s*[ée]toiles?\b|\b(?:je\s+(?:vous\s+)?(?:mets|donne|note)|"
    r"ma\s+note|note(?:\s+de)?|la\s+note\s+de)\b|\b[1-5]\b|[" + STARS + r"️]",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def parse_rating(value: str) -> Optional[int]:
    """The 1–5 rating in ``value`` (« 4 », « 4/5 », « 5 étoiles », « ⭐⭐⭐ »), or None."""
    value = value[:60]
    digits = re.findall(r"\d+", value)
    number = int(digits[0]) if digits else sum(value.count(star) for star in STARS)
    return number if 1 <= number <= 5 else None


def comment_beside(text: str) -> Optional[str]:
    """What the customer wrote next to the rating (« 2/5 c'était long » → « c'était long »)."""
    rest = _RATING_WORDS.sub(" ", text)
    rest = re.sub(r"\s+", " ", rest).strip(" ,.;:!-–")
    return rest[:MAX_COMMENT] if len(_LETTERS.findall(rest)) >= 2 else None


def _since_session_start(tracker: Tracker) -> List[Dict[str, Any]]:
    """Events of this conversation after the slots carried over from the previous one."""
    events = tracker.events
    start = max((i for i, e in enumerate(events) if e.get("event") == "session_started"), default=-1)
    if start < 0:
        return list(events)
    for i in range(start + 1, len(events)):  # carried-over slots come before the first listen
        if events[i].get("event") == "action" and events[i].get("name") == "action_listen":
            return list(events[i + 1:])
    return []


def asked_request(tracker: Tracker) -> Optional[str]:
    """The request the survey asked about in this conversation, or None if not asked."""
    asked = None
    for event in _since_session_start(tracker):
        if event.get("event") == "slot" and event.get("name") == REQUEST_SLOT and event.get("value"):
            asked = event["value"]
    return asked


def survey_due(tracker: Tracker) -> bool:
    """Whether the survey may be asked now: not yet in this conversation, no form running."""
    return not tracker.active_loop.get("name") and asked_request(tracker) is None


def survey(dispatcher: CollectingDispatcher, tracker: Tracker, request: str) -> List[Dict[str, Any]]:
    """Asks for a rating of ``request`` if the survey is due."""
    if not survey_due(tracker):
        return []
    dispatcher.utter_message(response="utter_ask_satisfaction")
    return [SlotSet(REQUEST_SLOT, request)]


def _session_started_at(tracker: Tracker) -> datetime:
    stamps = [e.get("timestamp") or 0 for e in tracker.events if e.get("event") == "session_started"]
    return datetime.utcfromtimestamp(stamps[-1] if stamps else 0)


def _last_closed_handoff(session: Any, conversation_id: str) -> Optional[int]:
    return session.execute(
        select(Handoff.id).where(Handoff.conversation_id == conversation_id, Handoff.status == CLOSED)
        .order_by(Handoff.closed_at.desc()).limit(1)
    ).scalar()


def _this_conversations_rating(session: Any, tracker: Tracker) -> Optional[SatisfactionRating]:
    return session.execute(
        select(SatisfactionRating)
        .where(SatisfactionRating.conversation_id == tracker.sender_id,
               SatisfactionRating.created_at >= _session_started_at(tracker))
        .order_by(SatisfactionRating.id.desc()).limit(1)
    ).scalar()


def save_rating(tracker: Tracker, rating: int, comment: Optional[str]) -> None:
    """Stores the rating of this conversation's request (a second rating replaces the first)."""
    request = asked_request(tracker) or "general"
    with session_scope() as session:
        row = _this_conversations_rating(session, tracker)
        if row is None or row.request != request:
            row = SatisfactionRating(conversation_id=tracker.sender_id, request=request,
                                     channel=(tracker.get_latest_input_channel() or "unknown")[:40],
                                     created_at=datetime.utcnow())
            if request == "handoff":
                row.handoff_id = _last_closed_handoff(session, tracker.sender_id)
            session.add(row)
        row.rating = rating
        if comment:
            row.comment = comment


class ActionRecordRating(Action):
    """A 1–5 rating: stored, thanked; then a comment is invited, or an advisor for a low one."""

    def name(self) -> str:
        return "action_record_rating"

    @apologise_on_failure(SlotSet("awaiting_confirmation", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        text = form_input.text(tracker)
        rating = parse_rating(form_input.entity(tracker, "rating") or text)
        if rating is None:
            dispatcher.utter_message(response="utter_ask_rating_again")
            return [SlotSet("awaiting_confirmation", "rating")]
        comment = None if text.startswith("/") else comment_beside(text)
        save_rating(tracker, rating, comment)
        low = rating <= LOW_RATING
        if comment:
            dispatcher.utter_message(
                response="utter_rating_sorry_offer_advisor" if low else "utter_rating_thanks")
            return [SlotSet("awaiting_confirmation", "advisor" if low else None)]
        dispatcher.utter_message(response="utter_rating_sorry_ask_comment" if low
                                 else "utter_rating_thanks_ask_comment")
        return [SlotSet("awaiting_confirmation", "rating_comment")]


class ValidateSatisfactionCommentForm(FormValidationAction):
    """The comment is free text, 1 to 2,000 characters."""

    def name(self) -> str:
        return "validate_satisfaction_comment_form"

    async def validate_satisfaction_comment(self, value: Any, dispatcher: CollectingDispatcher,
                                            tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        comment = re.sub(r"\s+", " ", str(value or "")).strip()
        if not comment or comment.startswith("/"):
            return {COMMENT_SLOT: None}
        if len(comment) > MAX_COMMENT:
            dispatcher.utter_message(response="utter_comment_too_long")
            return {COMMENT_SLOT: None}
        return {COMMENT_SLOT: comment}


class ActionSaveSatisfactionComment(Action):
    """After the comment form (or a « non »): keeps the comment with the rating, thanks."""

    def name(self) -> str:
        return "action_save_satisfaction_comment"

    @apologise_on_failure(SlotSet(COMMENT_SLOT, None), SlotSet("awaiting_confirmation", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        comment = tracker.get_slot(COMMENT_SLOT)
        if comment:
            with session_scope() as session:
                row = _this_conversations_rating(session, tracker)
                if row is not None:
                    row.comment = comment
            dispatcher.utter_message(response="utter_comment_thanks")
        else:
            dispatcher.utter_message(response="utter_no_comment")
        return [SlotSet(COMMENT_SLOT, None), SlotSet("awaiting_confirmation", None)]


def last_resolution(tracker: Tracker) -> Optional[str]:
    """The last action of this conversation that resolved or answered a request."""
    for event in reversed(_since_session_start(tracker)):
        if event.get("event") == "action" and event.get("name") in RESOLVING_ACTIONS:
            return event["name"]
    return None


RESOLVING_ACTIONS = ("action_answer_faq", "action_track_order", "action_register_return",
                     "action_cancel_order", "action_parcel_received")


class ActionThank(Action):
    """« Merci » : you're welcome; after an FAQ answer, the survey (if not asked yet)."""

    def name(self) -> str:
        return "action_thank"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        if last_resolution(tracker) == "action_answer_faq" and survey_due(tracker):
            dispatcher.utter_message(response="utter_youre_welcome_short")
            return survey(dispatcher, tracker, "faq")
        dispatcher.utter_message(response="utter_youre_welcome")
        return []


class ActionParcelReceived(Action):
    """« Oui » to « Vous l'avez bien reçu ? »: glad, then the survey about the delivery."""

    def name(self) -> str:
        return "action_parcel_received"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        if not survey_due(tracker):
            dispatcher.utter_message(response="utter_glad_received")
            return []
        dispatcher.utter_message(response="utter_glad_received_short")
        return survey(dispatcher, tracker, "delivery")
