"""« Où est mon colis ? »: the order tracking form and its answer.

The form asks for the order number and the e-mail used for the order and only
discloses the order once both belong to the same customer. After the allowed
number of failed checks it stops asking and hands over to an advisor. A
tracking number alone gives the carrier's status, nothing personal.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import normalise, shop, wording
from actions.carrier import CarrierClient, CarrierUnavailable, ParcelStatus
from actions.guard import apologise_on_failure
from actions.identity import OrderIdentityForm, handoff_if_unverified, verified_order
from actions.satisfaction import survey
from actions.tickets import open_ticket

logger = logging.getLogger(__name__)
# Answers that resolve the request: the satisfaction survey may follow. Not "delivered",
# which asks whether the parcel arrived (the survey comes after a « oui »).
ANSWERED = ("preparing", "shipped", "delayed", "cancelled", "parcel_only")


async def fetch_parcel(tracking_number: str) -> Optional[ParcelStatus]:
    """The carrier's status, fetched off the event loop (raises ``CarrierUnavailable``)."""
    return await asyncio.get_running_loop().run_in_executor(
        None, CarrierClient().get_status, tracking_number
    )


class ValidateOrderTrackingForm(OrderIdentityForm):
    """The identity check, plus: a tracking number alone needs nothing more."""

    def name(self) -> str:
        return "validate_order_tracking_form"

    async def required_slots(self, domain_slots: List[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[str]:
        if tracker.get_slot("tracking_number") and not tracker.get_slot("order_id"):
            return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if normalise.order_id(value) is None and normalise.tracking_number(
            tracker.latest_message.get("text")
        ):
            return {"order_id": None}  # a tracking number: answered from the carrier
        return super().validate_order_id(value, dispatcher, tracker, domain)


class ActionTrackOrder(Action):
    """Answers with the customer's own order, or the parcel's carrier status."""

    def name(self) -> str:
        return "action_track_order"

    @apologise_on_failure(SlotSet("order_id", None), SlotSet("tracking_number", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        number = verified_order(tracker)
        reset = [SlotSet("order_id", None), SlotSet("tracking_number", None)]
        if number:
            status = await self._answer_order(dispatcher, number)
        elif tracker.get_slot("tracking_number") and not tracker.get_slot("order_id"):
            status = await self._answer_parcel(dispatcher, tracker.get_slot("tracking_number"))
        elif (handoff := handoff_if_unverified(dispatcher, tracker)) is not None:
            status = "not_verified"
            reset += handoff
        else:
            status = "unavailable"  # the form stopped on an error it already apologised for
        survey_events = survey(dispatcher, tracker, "order_tracking") if status in ANSWERED else []
        return [*reset, SlotSet("order_status", status), *survey_events]

    async def _answer_order(self, dispatcher: CollectingDispatcher, number: str) -> str:
        order = shop.find_order(number)
        if order is None:
            dispatcher.utter_message(response="utter_unknown_order", order_id=number)
            return "unavailable"
        values = wording.order_facts(order)
        if order.status == "preparing":
            dispatcher.utter_message(response="utter_order_preparing", **values)
            return "preparing"
        if order.status == "cancelled":
            dispatcher.utter_message(response="utter_order_cancelled", **values)
            return "cancelled"
        if order.status == "delivered":
            dispatcher.utter_message(response="utter_order_delivered", **values)
            dispatcher.utter_message(response="utter_ask_parcel_received")
            return "delivered"
        delayed = bool(order.incident)
        dispatcher.utter_message(
            response="utter_order_delayed" if delayed else "utter_order_shipped", **values
        )
        await self._carrier_update(dispatcher, order)
        return "delayed" if delayed else "shipped"

    async def _carrier_update(self, dispatcher: CollectingDispatcher, order: shop.OrderView) -> None:
        """Adds the carrier's live status, or says it is unavailable."""
        if not order.tracking_number:
            return
        try:
            parcel = await fetch_parcel(order.tracking_number)
        except CarrierUnavailable:
            dispatcher.utter_message(response="utter_carrier_unavailable",
                                     carrier=order.carrier or "le transporteur")
            return
        if parcel is not None:
            dispatcher.utter_message(response="utter_carrier_update", **_parcel_values(parcel),
                                     carrier=order.carrier or "le transporteur")

    async def _answer_parcel(self, dispatcher: CollectingDispatcher, value: str) -> str:
        tracking = normalise.tracking_number(value)
        try:
            parcel = await fetch_parcel(tracking) if tracking else None
        except CarrierUnavailable:
            dispatcher.utter_message(response="utter_parcel_unavailable", tracking_number=tracking)
            return "unavailable"
        if parcel is None:
            typed = value[:20] if isinstance(value, str) else ""  # never a Python repr of a forged value
            dispatcher.utter_message(response="utter_parcel_unknown", tracking_number=tracking or typed)
            return "unavailable"
        dispatcher.utter_message(response="utter_parcel_status", **_parcel_values(parcel))
        return "parcel_only"


def _parcel_values(parcel: ParcelStatus) -> Dict[str, str]:
    when = wording.day_and_time(parcel.event_date) if parcel.event_date else "récemment"
    return {"tracking_number": parcel.tracking_number, "label": parcel.label, "when": when}


class ActionOpenInvestigation(Action):
    """A delivered parcel did not arrive: open an investigation ticket."""

    def name(self) -> str:
        return "action_open_investigation"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        number = tracker.get_slot("verified_order")
        ticket = open_ticket(tracker, kind="investigation", reason="parcel_not_received",
                             order_number=number)
        dispatcher.utter_message(response="utter_investigation_opened", ticket=ticket,
                                 order_id=number or "")
        return [SlotSet("awaiting_confirmation", None)]
