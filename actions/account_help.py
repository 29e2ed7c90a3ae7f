"""« Mon compte est bloqué », « j'ai oublié mon mot de passe »: a link by e-mail.

``account_link_form`` asks for the e-mail address; ``action_send_account_link``
sends an unlock or reset link (``accounts.request_link``). The answer never
tells whether the address has an account: it is the same for a customer, a
stranger, and a customer whose e-mail could not be sent right now.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import accounts, form_input, normalise
from actions.guard import apologise_on_failure

logger = logging.getLogger(__name__)

PURPOSE_OF_INTENT = {"account_locked": "unlock", "reset_password": "reset"}
SENT = {"unlock": "utter_unlock_link_sent", "reset": "utter_reset_link_sent"}


def requested_purpose(tracker: Tracker) -> str:
    """What the customer asked for last: an unlock link or a password reset link."""
    for event in reversed(form_input.user_events(tracker)):
        intent = form_input.intent_of(event)
        if intent in PURPOSE_OF_INTENT:
            return PURPOSE_OF_INTENT[intent]
    return "reset"


class ValidateAccountLinkForm(FormValidationAction):
    """A well-formed e-mail address: whether it has an account is never checked here."""

    def name(self) -> str:
        return "validate_account_link_form"

    def extract_account_email(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[str, Any]:
        """The address in this message; an answer without one is passed on to be refused."""
        address = form_input.entity(tracker, "email") or normalise.email(form_input.text(tracker))
        return form_input.found_or_answer(tracker, "account_email", address, *PURPOSE_OF_INTENT)

    def validate_account_email(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        address = normalise.email(value)
        if address is None:
            dispatcher.utter_message(response="utter_invalid_email")
        return {"account_email": address}


def _send(email: str, purpose: str, conversation_id: str) -> Optional[accounts.LinkOutcome]:
    """``request_link``; ``None`` when the e-mail could not go out (logged, not told)."""
    try:
        return accounts.request_link(email, purpose, conversation_id)
    except accounts.MailUnavailable as error:
        logger.warning("account link not sent, mail server unavailable: %s", error)
        return None


class ActionSendAccountLink(Action):
    """Sends the link if the address has an account, and answers the same either way."""

    def name(self) -> str:
        return "action_send_account_link"

    @apologise_on_failure(SlotSet("account_email", None))
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        email = tracker.get_slot("account_email")
        if not email:
            dispatcher.utter_message(response="utter_service_error")
            return []
        purpose = requested_purpose(tracker)
        outcome = await asyncio.get_running_loop().run_in_executor(
            None, _send, email, purpose, tracker.sender_id
        )
        if outcome is accounts.LinkOutcome.RATE_LIMITED:
            dispatcher.utter_message(response="utter_link_rate_limited")
        else:  # sent, no account, or mail down: the same words
            dispatcher.utter_message(response=SENT[purpose], email=email)
        return [SlotSet("account_email", None), *_forget_unverified_email(tracker)]


def _forget_unverified_email(tracker: Tracker) -> List[Dict[str, Any]]:
    """The address typed for the account also filled ``email``; an order request must not
    take it for the order's address (it would count as a failed check)."""
    return [] if tracker.get_slot("verified_order") else [SlotSet("email", None)]
