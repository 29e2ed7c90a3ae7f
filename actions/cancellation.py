"""« Je veux annuler ma commande »: cancel an order that has not been shipped.

The customer proves the order is theirs (``cancel_order_form``), sees what will
be cancelled and confirms explicitly; only then is the order cancelled.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import shop, wording
from actions.guard import apologise_on_failure
from actions.identity import OrderIdentityForm, identified_order, verified_order
from actions.satisfaction import survey

CONFIRMING = "cancel_order"  # value of the awaiting_confirmation slot
REFUSALS = {  # why an order cannot be cancelled -> what the customer reads
    shop.ChangeOutcome.ALREADY_SHIPPED: "utter_cannot_cancel_shipped",
    shop.ChangeOutcome.ALREADY_CANCELLED: "utter_already_cancelled",
}


class ValidateCancelOrderForm(OrderIdentityForm):
    """Identity check for a cancellation."""

    def name(self) -> str:
        return "validate_cancel_order_form"


class ActionPrepareCancellation(Action):
    """Shows what would be cancelled and asks for a yes, or explains why not."""

    def name(self) -> str:
        return "action_prepare_cancellation"

    @apologise_on_failure(SlotSet("awaiting_confirmation", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        order, events = identified_order(dispatcher, tracker)
        if order is None:
            return [*events, SlotSet("awaiting_confirmation", None)]
        values = wording.order_facts(order)
        outcome = shop.change_outcome(order.status)
        if outcome is shop.ChangeOutcome.DONE:  # still in preparation: ask first
            dispatcher.utter_message(response="utter_confirm_cancellation", **values)
            return [SlotSet("awaiting_confirmation", CONFIRMING)]
        dispatcher.utter_message(response=REFUSALS[outcome], **values)
        return [SlotSet("awaiting_confirmation", None), SlotSet("order_id", None)]


class ActionCancelOrder(Action):
    """The customer confirmed: cancel the order in the order system."""

    def name(self) -> str:
        return "action_cancel_order"

    @apologise_on_failure(SlotSet("awaiting_confirmation", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        number = verified_order(tracker)
        order = shop.find_order(number) if number else None
        outcome = shop.cancel_order(number) if order else shop.ChangeOutcome.UNKNOWN_ORDER
        events = [SlotSet("awaiting_confirmation", None), SlotSet("order_id", None)]
        if outcome is shop.ChangeOutcome.DONE:
            dispatcher.utter_message(response="utter_order_cancelled_now", **wording.order_facts(order))
            events += survey(dispatcher, tracker, "cancellation")
        elif outcome in REFUSALS:
            dispatcher.utter_message(response=REFUSALS[outcome], **wording.order_facts(order))
        else:
            dispatcher.utter_message(response="utter_service_error")
        return events


class ActionKeepOrder(Action):
    """The customer did not confirm: nothing is cancelled."""

    def name(self) -> str:
        return "action_keep_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_cancellation_kept", order_id=tracker.get_slot("order_id"))
        return [SlotSet("awaiting_confirmation", None), SlotSet("order_id", None)]
