"""Leaving a request half-way (« laisse tomber », « un conseiller »): nothing stays half-done.

No action writes anything before the customer's last answer or « oui », so
leaving only has to forget what the request collected.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

REQUEST_SLOTS = (  # what one request collects; the failed-check count stays for the conversation
    "order_id", "tracking_number", "product", "requested_slot", "awaiting_confirmation",
    "return_item", "parcel_opened", "item_intact", "return_reason",
    "new_street", "new_postcode", "new_city", "account_email", "callback_slot", "question",
)


class ActionClearOrderRequest(Action):
    """Forgets the request being made; an e-mail address not verified is not kept."""

    def name(self) -> str:
        return "action_clear_order_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        events = [SlotSet(slot, None) for slot in REQUEST_SLOTS]
        if tracker.get_slot("verified_order") is None:
            events.append(SlotSet("email", None))
        return events
