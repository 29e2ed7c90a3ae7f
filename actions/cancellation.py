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
from actions.identity import OrderIdentityForm, handoff_if_unverified, verified_order

CONFIRMING = "cancel_order"  # value of the awaiting_confirmation slot


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
        number = verified_order(tracker)
        order = shop.find_order(number) if number else None
        if order is None:
            events = handoff_if_unverified(dispatcher, tracker) or []
            return [*events, SlotSet("awaiting_confirmation", None)]
        values = {"order_id": order.number, "items": wording.items(order.items),
                  "total": wording.euros(order.total)}
        if order.status == "preparing":
            dispatcher.utter_message(response="utter_confirm_cancellation", **values)
            return [SlotSet("awaiting_confirmation", CONFIRMING)]
        response = "utter_already_cancelled" if order.status == "cancelled" else "utter_cannot_cancel_shipped"
        dispatcher.utter_message(response=response, **values)
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
        values = {"order_id": number or "", "total": wording.euros(order.total) if order else "",
                  "items": wording.items(order.items) if order else ""}
        if outcome is shop.ChangeOutcome.DONE:
            dispatcher.utter_message(response="utter_order_cancelled_now", **values)
        elif outcome is shop.ChangeOutcome.ALREADY_SHIPPED:
            dispatcher.utter_message(response="utter_cannot_cancel_shipped", **values)
        elif outcome is shop.ChangeOutcome.ALREADY_CANCELLED:
            dispatcher.utter_message(response="utter_already_cancelled", **values)
        else:
            dispatcher.utter_message(response="utter_service_error")
        return [SlotSet("awaiting_confirmation", None), SlotSet("order_id", None)]


class ActionKeepOrder(Action):
    """The customer did not confirm: nothing is cancelled."""

    def name(self) -> str:
        return "action_keep_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_cancellation_kept", order_id=tracker.get_slot("order_id"))
        return [SlotSet("awaiting_confirmation", None), SlotSet("order_id", None)]
