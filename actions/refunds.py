"""« Où en est mon remboursement ? »: a refund's status from the returns system.

The customer names the order or the return (``RET-…``) and proves it is theirs
with the order's e-mail address (``refund_form``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import normalise, returns, wording
from actions.guard import apologise_on_failure
from actions.identity import OrderIdentityForm, handoff_if_unverified, verified_order


class ValidateRefundForm(OrderIdentityForm):
    """Identity check, where a return number stands for its order."""

    def name(self) -> str:
        return "validate_refund_form"

    def order_number(self, value: Any, tracker: Tracker) -> Optional[str]:
        for text in (value, tracker.latest_message.get("text")):
            number = normalise.return_number(text)
            if number:
                found = returns.find_return(number)
                return found.order_number if found else None
        return super().order_number(value, tracker)


RESPONSES = {  # return status -> what the customer reads
    "registered": "utter_refund_registered",
    "received": "utter_refund_received",
    "refunded": "utter_refund_refunded",
}


def _refund_values(ret: returns.ReturnView) -> Dict[str, str]:
    expected = ret.expected_refund
    return {
        "return_number": ret.number,
        "product": ret.product,
        "amount": wording.euros(ret.refund_amount or ret.amount),
        "refunded_at": wording.day(ret.refunded_at) if ret.refunded_at else "",
        "received_at": wording.day(ret.received_at) if ret.received_at else "",
        "expected": wording.day(expected) if expected else "",
        "delay": str(returns.refund_delay_days()),
    }


class ActionRefundStatus(Action):
    """Where the refund of each return of the verified order stands."""

    def name(self) -> str:
        return "action_refund_status"

    @apologise_on_failure(SlotSet("order_id", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        number = verified_order(tracker)
        if number is None:
            return [*(handoff_if_unverified(dispatcher, tracker) or []), SlotSet("order_id", None)]
        found = returns.returns_of_order(number)
        if not found:
            dispatcher.utter_message(response="utter_no_return", order_id=number)
        for ret in found:
            dispatcher.utter_message(response=RESPONSES[ret.status], **_refund_values(ret))
        return [SlotSet("order_id", None)]
