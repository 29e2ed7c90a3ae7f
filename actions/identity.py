"""Who is asking: the order number + e-mail check shared by every order form.

Order details are only for the customer whose e-mail matches the order's
(contract's rules of disclosure). Each refused value counts as a failed check;
after ``max_failed_checks`` the form stops asking and the submit action hands
over to an advisor (``handoff_if_unverified``).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import normalise, outreach, shop
from actions.guard import apologise_on_failure
from actions.handoff import hand_over
from actions.settings import Settings


def failures(tracker: Tracker) -> int:
    """Failed identity checks so far in this conversation."""
    return int(tracker.get_slot("failed_checks") or 0)


def too_many_failures(tracker: Tracker) -> bool:
    return failures(tracker) >= Settings.from_env().max_failed_checks


def verified_order(tracker: Tracker) -> Optional[str]:
    """The order number the customer proved is theirs in this request, if any."""
    number = tracker.get_slot("order_id")
    return number if number and tracker.get_slot("verified_order") == number else None


def handoff_if_unverified(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict]]:
    """After too many failed checks: an advisor (or a callback), and the events to return."""
    if not too_many_failures(tracker):
        return None
    dispatcher.utter_message(response="utter_checks_failed")
    return [SlotSet("order_id", None), SlotSet("email", None),
            *hand_over(dispatcher, tracker, reason="identity_check_failed")]


def identified_order(dispatcher: CollectingDispatcher,
                     tracker: Tracker) -> Tuple[Optional[shop.OrderView], List[Dict]]:
    """The order this request proved is the customer's, or ``None`` with the events to
    return (a handoff ticket after too many failed checks)."""
    number = verified_order(tracker)
    order = shop.find_order(number) if number else None
    if order is not None:
        return order, []
    return None, handoff_if_unverified(dispatcher, tracker) or []


class OrderIdentityForm(FormValidationAction):
    """Validates ``order_id`` and ``email``, then the pair once per turn."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form>``: abstract, so the action server does not register this base."""

    async def required_slots(self, domain_slots: List[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[str]:
        """Nothing more to ask after too many failed checks."""
        return [] if too_many_failures(tracker) else domain_slots

    def _reject(self, dispatcher: CollectingDispatcher, tracker: Tracker, response: str,
                slot: str, **values: Any) -> Dict[str, Any]:
        """Says why a value was refused and counts one failed check."""
        dispatcher.utter_message(response=response, **values)
        return {slot: None, "failed_checks": float(failures(tracker) + 1)}

    def order_number(self, value: Any, tracker: Tracker) -> Optional[str]:
        """The order number meant by ``value`` (subclasses accept other references)."""
        return normalise.order_id(value)

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        """A well-formed order number that the order system knows."""
        number = self.order_number(value, tracker)
        if number is None:
            return self._reject(dispatcher, tracker, "utter_invalid_order_id", "order_id")
        if not shop.order_exists(number):
            return self._reject(dispatcher, tracker, "utter_unknown_order", "order_id", order_id=number)
        return {"order_id": number}

    def validate_email(self, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        """A well-formed e-mail address (ownership is checked once both are known)."""
        address = normalise.email(value)
        if address is None:
            return self._reject(dispatcher, tracker, "utter_invalid_email", "email")
        return {"email": address}

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[Dict[str, Any]]:
        """Validates the values, then whether the order belongs to the e-mail's owner."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        number, address = tracker.slots.get("order_id"), tracker.slots.get("email")
        if not number or not address or tracker.slots.get("verified_order") == number:
            return events
        if shop.verify_owner(number, address) is shop.Ownership.VERIFIED:
            events.append(SlotSet("verified_order", number))
            outreach.remember_conversation(tracker, number)  # where Colibri may write later
        else:
            dispatcher.utter_message(response="utter_email_mismatch", order_id=number)
            count = float(failures(tracker) + 1)
            events += [SlotSet("email", None), SlotSet("failed_checks", count)]
            tracker.slots.update({"email": None, "failed_checks": count})
        return events

    @apologise_on_failure(SlotSet("requested_slot", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        return await super().run(dispatcher, tracker, domain)
