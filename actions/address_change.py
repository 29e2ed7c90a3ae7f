"""« Je me suis trompé d'adresse »: a new delivery address, before the order ships.

``change_address_form`` identifies the order, then (only while it is being
prepared) collects the street, the postcode and the city, in one message or
one at a time, each part correctable. Colibri reads the address back and changes
it in the order system only after a yes. A shipped parcel can still be
redirected through the carrier's own service.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import addresses, form_input, shop, wording
from actions.guard import apologise_on_failure
from actions.identity import OrderIdentityForm, identified_order, verified_order

CONFIRMING = "change_address"  # value of the awaiting_confirmation slot
CARRIER_REDIRECT_URL = "https://www.laposte.fr/modification-livraison"
REFUSALS = {  # why the address cannot change -> what the customer reads
    "delivered": "utter_address_already_delivered",
    "cancelled": "utter_already_cancelled",
}


def _refusal(order: shop.OrderView) -> Optional[str]:
    """Why this order's address cannot change any more (``None``: it still can)."""
    if shop.change_outcome(order.status) is shop.ChangeOutcome.DONE:
        return None
    return REFUSALS.get(order.status, "utter_address_too_late")


def _read(tracker: Tracker) -> Dict[str, str]:
    """The address parts in the latest message (a bare answer counts for the part asked)."""
    if not form_input.may_read(tracker):
        return {}
    asked = tracker.get_slot("requested_slot")
    bare_ok = form_input.is_answer(tracker, "change_delivery_address")
    return addresses.read(form_input.text(tracker), asked=asked if bare_ok else None)


PART_CHECKS = {  # address part -> (is it valid?, what the customer reads when it is not)
    "new_street": (addresses.valid_street, "utter_invalid_street"),
    "new_postcode": (addresses.valid_postcode, "utter_invalid_postcode"),
    "new_city": (addresses.valid_city, "utter_invalid_city"),
}


def _checked(slot: str, value: Any, dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    """Keeps a valid address part; refuses another one, saying what is expected."""
    valid, refusal = PART_CHECKS[slot]
    if isinstance(value, str) and valid(value):
        return {slot: value}
    dispatcher.utter_message(response=refusal)
    return {slot: None}


def _part(tracker: Tracker, slot: str) -> Dict[str, Any]:
    """One address part from the latest message; an unreadable answer to its question is
    passed on as typed, for its validator to explain what is expected."""
    found = _read(tracker)
    if slot in found:
        return {slot: found[slot]}
    if not found and tracker.get_slot("requested_slot") == slot \
            and form_input.is_answer(tracker, "change_delivery_address"):
        return {slot: form_input.text(tracker).strip()[:addresses.MAX_TEXT]}
    return {}


class ValidateChangeAddressForm(OrderIdentityForm):
    """Identity, then the new address, part by part."""

    def name(self) -> str:
        return "validate_change_address_form"

    async def required_slots(self, domain_slots: List[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        number = verified_order(tracker)
        if slots and number is not None:
            order = shop.find_order(number)
            if order is None or _refusal(order):
                return []  # explained by action_prepare_address_change
        return slots

    def extract_new_street(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> Dict[str, Any]:
        return _part(tracker, "new_street")

    def extract_new_postcode(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[str, Any]:
        return _part(tracker, "new_postcode")

    def extract_new_city(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> Dict[str, Any]:
        return _part(tracker, "new_city")

    def validate_new_street(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return _checked("new_street", value, dispatcher)

    def validate_new_postcode(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return _checked("new_postcode", value, dispatcher)

    def validate_new_city(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return _checked("new_city", value, dispatcher)


def forget_request() -> List[Dict[str, Any]]:
    """Clears what this request collected (the e-mail stays for the next one)."""
    return [SlotSet(slot, None) for slot in ("order_id", *addresses.PARTS, "awaiting_confirmation")]


def _new_address(tracker: Tracker) -> Optional[str]:
    parts = [tracker.get_slot(slot) for slot in addresses.PARTS]
    return addresses.one_line(*parts) if all(parts) else None


def _explain_refusal(dispatcher: CollectingDispatcher, order: shop.OrderView, response: str) -> None:
    dispatcher.utter_message(response=response, **wording.order_facts(order),
                             redirect_url=CARRIER_REDIRECT_URL)


class ActionPrepareAddressChange(Action):
    """Reads the new address back for a yes, or explains why it cannot change."""

    def name(self) -> str:
        return "action_prepare_address_change"

    @apologise_on_failure(*forget_request())
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        order, events = identified_order(dispatcher, tracker)
        if order is None:
            return [*events, *forget_request()]
        refusal = _refusal(order)
        new_address = _new_address(tracker)
        if refusal or new_address is None:
            _explain_refusal(dispatcher, order, refusal or "utter_service_error")
            return forget_request()
        dispatcher.utter_message(response="utter_confirm_address", **wording.order_facts(order),
                                 old_address=order.address, new_address=new_address)
        return [SlotSet("awaiting_confirmation", CONFIRMING)]


class ActionChangeAddress(Action):
    """The customer confirmed: the order system gets the new address."""

    def name(self) -> str:
        return "action_change_address"

    @apologise_on_failure(*forget_request())
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        number = verified_order(tracker)
        order = shop.find_order(number) if number else None
        new_address = _new_address(tracker)
        if order is None or new_address is None:
            dispatcher.utter_message(response="utter_service_error")
            return forget_request()
        parts = [tracker.get_slot(slot) for slot in addresses.PARTS]
        outcome = shop.change_address(number, *parts)
        if outcome is shop.ChangeOutcome.DONE:
            dispatcher.utter_message(response="utter_address_changed", **wording.order_facts(order),
                                     new_address=new_address)
        else:  # shipped or cancelled since the question
            now = shop.find_order(number) or order
            _explain_refusal(dispatcher, now, _refusal(now) or "utter_address_too_late")
        return forget_request()


class ActionCorrectAddress(Action):
    """Not confirmed: keep the correction the customer gave, or ask the whole address again."""

    def name(self) -> str:
        return "action_correct_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        corrections = {slot: value for slot, value in addresses.read(form_input.text(tracker)).items()
                       if PART_CHECKS[slot][0](value)}
        if corrections:
            return [SlotSet(slot, value) for slot, value in corrections.items()] + [
                SlotSet("awaiting_confirmation", None)]
        dispatcher.utter_message(response="utter_address_restart")
        return [*(SlotSet(slot, None) for slot in addresses.PARTS), SlotSet("awaiting_confirmation", None)]
