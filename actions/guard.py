"""No stack trace ever reaches a customer: a failing action apologises instead; an
action meant for the shop's systems, the desk or Rasa's reminders ignores a customer's
typed imitation of them."""

from __future__ import annotations

import functools
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import form_input

logger = logging.getLogger(__name__)

Run = Callable[[Any, CollectingDispatcher, Tracker, Dict[str, Any]], Awaitable[List[Dict[str, Any]]]]


def apologise_on_failure(*fallback_events: Dict[str, Any]) -> Callable[[Run], Run]:
    """Wraps an action's ``run``: on any error, log it, apologise, return ``fallback_events``.

    Messages the action dispatched before failing are dropped, so the customer
    never reads half an answer.
    """

    def decorate(run: Run) -> Run:
        @functools.wraps(run)
        async def wrapper(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: Dict[str, Any]) -> List[Dict[str, Any]]:
            try:
                return await run(self, dispatcher, tracker, domain)
            except Exception:  # noqa: BLE001 - any failure becomes an apology
                logger.exception("action %s failed", self.name())
                dispatcher.messages.clear()
                dispatcher.utter_message(response="utter_service_error")
                return list(fallback_events)

        return wrapper

    return decorate


def external_only(what: str) -> Callable[[Run], Run]:
    """Wraps the ``run`` of an action that an external intent triggers (``trigger_intent``):
    when the customer typed the payload instead (``form_input.typed_payload``), log it,
    answer as not understood and change nothing."""

    def decorate(run: Run) -> Run:
        @functools.wraps(run)
        async def wrapper(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: Dict[str, Any]) -> List[Dict[str, Any]]:
            if form_input.typed_payload(tracker):
                logger.warning("%s typed by a customer: ignored", what)
                dispatcher.utter_message(response="utter_default")
                return []
            return await run(self, dispatcher, tracker, domain)

        return wrapper

    return decorate
