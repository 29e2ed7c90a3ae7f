"""What a form may read from the customer's latest message.

A form reads values from any message, but a message meant to leave (« laisse
tomber », « un conseiller ») is never taken as a value, so the stop and handoff
rules still apply; a bare answer (« Villeurbanne », « le deuxième ») counts only
when the message is an answer, not a question asked in passing.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

LEAVING = frozenset({"stop", "human_handoff"})
ANSWERS = frozenset({"inform", "nlu_fallback", "affirm", "deny"})


def intent(tracker: Tracker) -> Optional[str]:
    """The intent of the latest message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """The customer's messages so far (Rasa ``user`` events), oldest first."""
    return [event for event in tracker.events if event.get("event") == "user"]


def intent_of(event: Dict[str, Any]) -> Optional[str]:
    """The intent Rasa gave a ``user`` event."""
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def text(tracker: Tracker) -> str:
    """The latest message's text."""
    return tracker.latest_message.get("text") or ""


def typed_payload(tracker: Tracker) -> bool:
    """Whether the latest message is a payload the customer typed or clicked (« /intent{…} »).

    The external intents of the shop's systems, the desk and the reminders come through
    Rasa's ``trigger_intent``, recorded as « EXTERNAL: <intent> »: one arriving as a payload
    was typed by the customer (forged) and must not be obeyed.
    """
    return text(tracker).startswith("/")


def may_read(tracker: Tracker) -> bool:
    """Whether the latest message may carry a value (it is not a way out)."""
    return intent(tracker) not in LEAVING


def is_answer(tracker: Tracker, *also: str) -> bool:
    """Whether the latest message answers the question asked (``also``: the form's own intents)."""
    return intent(tracker) in ANSWERS or intent(tracker) in also


def entity(tracker: Tracker, name: str) -> Optional[str]:
    """The first value of entity ``name`` in the latest message."""
    for found in tracker.latest_message.get("entities") or []:
        if found.get("entity") == name and isinstance(found.get("value"), str):
            return found["value"]
    return None


def found_or_answer(tracker: Tracker, slot: str, found: Optional[str], *also: str,
                    limit: int = 300) -> Dict[str, Any]:
    """What a form's ``extract_<slot>`` returns: nothing from a message meant to leave;
    ``found`` (a value read in the message); without one, the raw answer to the question
    about ``slot``, for its validation to refuse with an example; otherwise nothing.
    ``also``: intents that count as answers too."""
    if not may_read(tracker):
        return {}
    if found:
        return {slot: found}
    if tracker.get_slot("requested_slot") == slot and is_answer(tracker, *also):
        return {slot: text(tracker)[:limit]}
    return {}
