"""General questions (``faq/*``): the knowledge base's answer, with the shop's policy values.

The ResponseSelector picks the sub-intent (``faq/delivery_cost``); its answer is the
domain response ``utter_faq/delivery_cost``, whose ``{placeholders}`` come from
``knowledge/policies.yml``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import policies
from actions.guard import apologise_on_failure

RETRIEVAL_INTENT = "faq"


def _answer_in(parse_data: Dict[str, Any]) -> Optional[str]:
    selector = (parse_data.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    key = ((selector.get("response") or {}).get("intent_response_key")) or ""
    return f"utter_{key}" if key.startswith(f"{RETRIEVAL_INTENT}/") else None


def selected_answer(tracker: Tracker) -> Optional[str]:
    """``utter_faq/<sub-intent>`` chosen by the ResponseSelector for the latest message.

    After a clarification (the customer clicked « Les frais de livraison », payload
    ``/faq``), the answer is the one selected for the message that was not understood.
    """
    answer = _answer_in(tracker.latest_message)
    if answer or not (tracker.latest_message.get("text") or "").startswith("/"):
        return answer
    for event in reversed(tracker.events):
        if event.get("event") == "user" and not (event.get("text") or "").startswith("/"):
            return _answer_in(event.get("parse_data") or {})
    return None


class ActionAnswerFaq(Action):
    """Answers a general question from the knowledge base."""

    def name(self) -> str:
        return "action_answer_faq"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        answer = selected_answer(tracker)
        if answer is None or answer not in (domain.get("responses") or {}):
            dispatcher.utter_message(response="utter_faq_unknown")
            return []
        dispatcher.utter_message(response=answer, **policies.all_values())
        return []
