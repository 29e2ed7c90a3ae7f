"""« Je veux renvoyer ma robe »: the return procedure, from the order to the RET number.

``return_form`` identifies the order (number + e-mail), picks the item when the
order has several, asks whether the parcel was opened, whether the item is intact
and why it goes back. The policy (``returns.decide``) then says yes, yes for free
and first, or no with a reason; an order that is not delivered or past the
30-day window is answered as soon as it is identified, and an item already
returned gives back its return at once.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import form_input, normalise, outreach, policies, returns, shop, wording
from actions.guard import apologise_on_failure
from actions.identity import OrderIdentityForm, identified_order, verified_order
from actions.returns import ReturnDecision
from actions.satisfaction import survey

FORM_SLOTS = ("return_item", "parcel_opened", "item_intact", "return_reason")
ANSWERED_AT_ONCE = (ReturnDecision.NOT_DELIVERED, ReturnDecision.OUTSIDE_WINDOW)
OFFERS_ADVISOR = (ReturnDecision.OUTSIDE_WINDOW, ReturnDecision.NOT_INTACT)
REFUSALS = {  # policy says no -> what the customer reads
    ReturnDecision.NOT_DELIVERED: "utter_return_not_delivered",
    ReturnDecision.OUTSIDE_WINDOW: "utter_return_outside_window",
    ReturnDecision.NOT_INTACT: "utter_return_not_intact",
}
_ORDINALS = {"premier": 1, "premiere": 1, "1er": 1, "deuxieme": 2, "second": 2, "seconde": 2,
             "2e": 2, "troisieme": 3, "3e": 3, "quatrieme": 4, "4e": 4}


def pick_line(lines: List[returns.OrderLine], said: str) -> Optional[returns.OrderLine]:
    """The order line the customer means: by name (« la robe »), or by rank (« le 2 », « le dernier »)."""
    folded = normalise.fold(said)
    words = re.findall(r"[\w]+", folded)
    for matches in (lambda name: name in folded, lambda name: name.split()[0] in words):
        named = [line for line in lines if matches(normalise.fold(line.product))]
        if len(named) == 1:
            return named[0]
    ranks = {_ORDINALS[w] for w in words if w in _ORDINALS}
    ranks |= {int(w) for w in words if w.isdigit() and len(w) == 1}
    if "dernier" in words or "derniere" in words:
        ranks.add(len(lines))
    if len(ranks) == 1 and 1 <= (rank := ranks.pop()) <= len(lines):
        return lines[rank - 1]
    return None


def chosen_line(tracker: Tracker, lines: List[returns.OrderLine]) -> Optional[returns.OrderLine]:
    """The line being returned: the one chosen, or the only one."""
    if len(lines) == 1:
        return lines[0]
    chosen = tracker.get_slot("return_item")
    return next((line for line in lines if str(line.item_id) == chosen), None)


def order_decision(order: shop.OrderView) -> ReturnDecision:
    """The policy's answer for the order as a whole, before the reason is known."""
    return returns.decide(order.delivered_at, "")


class ValidateReturnForm(OrderIdentityForm):
    """Identity, then the item, the parcel's state and the reason."""

    def name(self) -> str:
        return "validate_return_form"

    async def required_slots(self, domain_slots: List[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        number = verified_order(tracker)
        if not slots or number is None:
            return slots
        order = shop.find_order(number)
        if order is None or order_decision(order) in ANSWERED_AT_ONCE:
            return []  # answered by action_register_return
        lines = returns.order_lines(number)
        line = chosen_line(tracker, lines)
        if line is not None and line.return_number:
            return []  # already returned: given back at once
        return [slot for slot in slots if slot != "return_item" or len(lines) > 1]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        """Validates, and (re)schedules the reminder of this return, cancelled when it is registered."""
        events = await super().run(dispatcher, tracker, domain)
        return [*events, outreach.schedule_return_reminder(tracker)]

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        """An order number; another order than before forgets the item chosen in the first one."""
        result = super().validate_order_id(value, dispatcher, tracker, domain)
        previous = tracker.get_slot("verified_order")
        if previous and result.get("order_id") not in (None, previous):
            result["return_item"] = None
        return result

    def extract_return_item(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[str, Any]:
        """The item named in this message (or earlier, « ma robe »), once the order is known."""
        number = verified_order(tracker)
        asked = tracker.get_slot("requested_slot") == "return_item"
        product = form_input.entity(tracker, "product") or (None if asked else tracker.get_slot("product"))
        if number is None or not form_input.may_read(tracker) or not (asked or product):
            return {}
        line = pick_line(returns.order_lines(number), product or form_input.text(tracker))
        if line is not None:
            return {"return_item": str(line.item_id)}
        return {"return_item": "?"} if asked and form_input.is_answer(tracker, "return_item") else {}

    def validate_return_item(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        number = verified_order(tracker)
        lines = returns.order_lines(number) if number else []
        if any(str(line.item_id) == value for line in lines):
            return {"return_item": value}
        dispatcher.utter_message(response="utter_unknown_item", order_id=number or "")
        return {"return_item": None}

    def extract_return_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[str, Any]:
        """A reason from a button, or described in words, in any message of the form."""
        if not form_input.may_read(tracker):
            return {}
        button = form_input.entity(tracker, "return_reason")
        reason = button if button in returns.REASONS else normalise.return_reason(form_input.text(tracker))
        if reason:
            return {"return_reason": reason}
        asked = tracker.get_slot("requested_slot") == "return_reason"
        return {"return_reason": "?"} if asked and form_input.is_answer(tracker, "return_item") else {}

    def validate_return_reason(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value in returns.REASONS:
            return {"return_reason": value}
        dispatcher.utter_message(response="utter_unknown_reason")
        return {"return_reason": None}


class ActionAskReturnItem(Action):
    """Which item? One button per item of the order."""

    def name(self) -> str:
        return "action_ask_return_item"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        number = verified_order(tracker) or ""
        lines = returns.order_lines(number) if number else []
        buttons = [{"title": f"{line.product} ({wording.euros(line.amount)})",
                    "payload": f"{rank}. {line.product}"} for rank, line in enumerate(lines, 1)]
        dispatcher.utter_message(response="utter_ask_return_item", order_id=number,
                                 items=wording.items(line.product for line in lines), buttons=buttons)
        return []


def forget_request() -> List[Dict[str, Any]]:
    """Clears what this return request collected (the e-mail stays for the next one)."""
    return [SlotSet(slot, None) for slot in ("order_id", "product", *FORM_SLOTS)]


def _return_values(ret: returns.ReturnView) -> Dict[str, str]:
    return {"return_number": ret.number, "product": ret.product, "amount": wording.euros(ret.amount),
            "delay": str(returns.refund_delay_days()), "created_at": wording.day(ret.created_at),
            "return_address": policies.all_values()["return_address"]}


class ActionRegisterReturn(Action):
    """Applies the policy and registers the return, or says why not."""

    def name(self) -> str:
        return "action_register_return"

    @apologise_on_failure(*forget_request(), SlotSet("awaiting_confirmation", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        order, events = identified_order(dispatcher, tracker)
        events.append(outreach.cancel_return_reminder(tracker))  # the return is over, whatever the outcome
        if order is None:
            return [*events, *forget_request(), SlotSet("awaiting_confirmation", None)]
        number = order.number
        line = chosen_line(tracker, returns.order_lines(number))
        values = wording.order_facts(order)
        if line is not None and line.return_number:
            existing = returns.find_return(line.return_number)
            dispatcher.utter_message(response="utter_return_exists", **values, **_return_values(existing))
            return [*events, *forget_request(), SlotSet("awaiting_confirmation", None)]
        reason = tracker.get_slot("return_reason") or ""
        intact = tracker.get_slot("item_intact") is not False
        decision = returns.decide(order.delivered_at, reason, intact=intact)
        if decision in REFUSALS or line is None:
            dispatcher.utter_message(response=REFUSALS.get(decision, "utter_service_error"), **values,
                                     window=str(returns.return_window_days()))
            offer = "advisor" if decision in OFFERS_ADVISOR else None
            return [*events, *forget_request(), SlotSet("awaiting_confirmation", offer)]
        ret = returns.create_return(number, line.item_id, reason,
                                    opened=bool(tracker.get_slot("parcel_opened")),
                                    intact=intact)
        response = ("utter_return_exists" if ret.existing else
                    "utter_return_registered_free" if ret.free_return else "utter_return_registered")
        dispatcher.utter_message(response=response, **values, **_return_values(ret))
        return [*events, *forget_request(), SlotSet("awaiting_confirmation", None),
                *survey(dispatcher, tracker, "return")]
