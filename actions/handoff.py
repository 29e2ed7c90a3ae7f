"""Handing the conversation to a human advisor through a ticket."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guard import apologise_on_failure
from actions.tickets import open_ticket


class ActionHandoff(Action):
    """The customer asked for an advisor: record a ticket with the transcript."""

    def name(self) -> str:
        return "action_handoff"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        ticket = open_ticket(tracker, kind="handoff", reason="customer_request",
                             order_number=tracker.get_slot("verified_order"))
        dispatcher.utter_message(response="utter_handoff", ticket=ticket)
        return [SlotSet("awaiting_confirmation", None)]


class ActionDeclineAdvisor(Action):
    """The customer said no to the advisor Colibri offered."""

    def name(self) -> str:
        return "action_decline_advisor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_no_advisor")
        return [SlotSet("awaiting_confirmation", None)]
