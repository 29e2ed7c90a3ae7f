"""Conversations as the KPIs see them, from Rasa's events (plain dictionaries).

A conversation is a Rasa conversation session of one ``sender_id`` (the customer):
a ``session_started`` event starts one, and events before the first one form one too.
Only conversations with at least one customer message count. A customer message is a
``user`` event, typed or a button; ``EXTERNAL_…`` intents (the desk's triggers) are not.
Its date and channel are those of its first customer message.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set

from actions.advisor_messages import advisor_name
from trainers.selection import NLU_FALLBACK, OUT_OF_SCOPE, Prediction, Thresholds, Turn, missed_turns

UNKNOWN_CHANNEL = "unknown"
SURVEY_SLOT = "satisfaction_request"  # set (not null) when the CSAT survey is asked
# Confusion signals: what the NLU predicted, or the action Colibri ran.
CONFUSION_INTENTS = {NLU_FALLBACK: "fallback", OUT_OF_SCOPE: "out_of_scope"}
CONFUSION_ACTIONS = {
    "action_default_fallback": "fallback",
    "utter_not_understood_in_form": "fallback",
    "action_two_stage_fallback": "rephrase",
    "action_default_ask_affirmation": "rephrase",
    "action_default_ask_rephrase": "rephrase",
    "action_out_of_scope": "out_of_scope",
    "utter_out_of_scope": "out_of_scope",
}
# Intents that are not a request: conversation, answers, confusion, the survey.
NOT_REQUESTS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "inform", "stop", "bot_challenge",
                          "ask_capabilities", "give_rating", NLU_FALLBACK, OUT_OF_SCOPE})

Event = Dict[str, Any]


@dataclass
class Rating:
    """A row of ``satisfaction_ratings``."""

    conversation_id: str
    created_at: float  # Unix time
    rating: int
    request: str
    channel: str
    comment: Optional[str] = None


@dataclass
class Handoff:
    """A row of ``handoffs``: a conversation handed to the advisors."""

    conversation_id: str
    created_at: float  # Unix time
    reason: str


@dataclass
class Conversation:
    """What the KPIs need of one conversation."""

    sender_id: str
    started_at: float  # Unix time of the first customer message
    channel: str
    messages: int = 0  # customer messages
    response_times: List[float] = field(default_factory=list)  # seconds, one per answered message
    confusion: Set[str] = field(default_factory=set)  # fallback, rephrase, out_of_scope
    surveys: int = 0  # times the satisfaction survey was asked
    requests: List[str] = field(default_factory=list)  # distinct, in order; ``faq/<answer>`` for FAQs
    missed: List[Turn] = field(default_factory=list)  # trainers.selection's missed messages
    handoffs: List[Handoff] = field(default_factory=list)
    ratings: List[Rating] = field(default_factory=list)


def sessions(events: Iterable[Event]) -> Iterator[List[Event]]:
    """One sender's events cut into conversation sessions."""
    current: List[Event] = []
    for event in events:
        if event.get("event") == "session_started" and current:
            yield current
            current = []
        current.append(event)
    if current:
        yield current


def is_external(event: Event) -> bool:
    """A ``user`` event the desk triggered (``EXTERNAL_…``), not typed by the customer."""
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    text = event.get("text") or ""
    return bool((event.get("metadata") or {}).get("is_external")) or intent.startswith("EXTERNAL_") \
        or text.startswith("EXTERNAL: ")


def _request(event: Event) -> Optional[str]:
    prediction = Prediction.from_parse_data(event.get("parse_data") or {})
    if not prediction.intent or prediction.intent in NOT_REQUESTS:
        return None
    return prediction.guess or prediction.intent


def summarise(sender_id: str, events: List[Event], thresholds: Thresholds,
              since: float = float("-inf")) -> Optional[Conversation]:
    """One session's figures; None without a customer message.

    A response time runs from a customer message to Colibri's first message after it
    (an advisor's message is not Colibri's), if that comes before the next customer
    message or desk trigger: messages sent while an advisor has the conversation get none.
    A conversation begun before ``since`` (history) gets only its date and channel.
    """
    conversation: Optional[Conversation] = None
    waiting: Optional[float] = None  # time of the customer message still without a reply
    for event in events:
        kind = event.get("event")
        if kind == "user":
            waiting = None
            if is_external(event):
                continue
            timestamp = float(event.get("timestamp") or 0.0)
            if conversation is None:
                channel = event.get("input_channel") or UNKNOWN_CHANNEL
                conversation = Conversation(sender_id, timestamp, channel)
                if timestamp < since:
                    return conversation
            conversation.messages += 1
            waiting = timestamp
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in CONFUSION_INTENTS:
                conversation.confusion.add(CONFUSION_INTENTS[intent])
            request = _request(event)
            if request and request not in conversation.requests:
                conversation.requests.append(request)
        elif conversation is None:
            continue  # before the first customer message: carried-over slots, session start
        elif kind == "bot" and waiting is not None and not advisor_name(event.get("metadata")):
            conversation.response_times.append(max(0.0, float(event.get("timestamp") or 0.0) - waiting))
            waiting = None
        elif kind == "action" and event.get("name") in CONFUSION_ACTIONS:
            conversation.confusion.add(CONFUSION_ACTIONS[event["name"]])
        elif kind == "slot" and event.get("name") == SURVEY_SLOT and event.get("value") is not None:
            conversation.surveys += 1
    if conversation is not None:
        conversation.missed = list(missed_turns((e for e in events if not (
            e.get("event") == "user" and is_external(e))), thresholds))
    return conversation


def attach(conversations: Dict[str, List[Conversation]], handoffs: Iterable[Handoff],
           ratings: Iterable[Rating]) -> None:
    """Gives each handoff and rating to its conversation: the sender's last one begun by then.

    ``conversations`` maps each sender to its conversations in time order. Rows of a
    sender without conversation, or older than its first one, are left out.
    """
    starts = {sender: [c.started_at for c in items] for sender, items in conversations.items()}

    def owner(sender: str, moment: float) -> Optional[Conversation]:
        index = bisect_right(starts.get(sender, []), moment) - 1
        return conversations[sender][index] if index >= 0 else None

    for handoff in handoffs:
        found = owner(handoff.conversation_id, handoff.created_at)
        if found is not None:
            found.handoffs.append(handoff)
    for rating in ratings:
        found = owner(rating.conversation_id, rating.created_at)
        if found is not None:
            found.ratings.append(rating)
