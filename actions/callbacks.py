"""When no advisor can take the conversation: a callback, or a written answer by e-mail.

``callback_form`` asks a French phone number (normalised; kept as +33…) and a
preferred slot (matin, après-midi, soir), reads both back for a « oui », then records
a ``callback`` ticket. ``email_answer_form`` asks the address to answer to and the
question, then records an ``email`` ticket. The desk lists both for the team.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import form_input, normalise
from actions.guard import apologise_on_failure
from actions.tickets import open_ticket

SLOT_LABELS = {
    "matin": "le matin (9 h – 12 h)",
    "apres-midi": "l'après-midi (14 h – 17 h)",
    "soir": "en fin de journée (17 h – 19 h)",
}
_SLOT_WORDS = (("apres-midi", ("apres-midi", "apres midi", "aprem", "apresmidi", "aprm")),
               ("matin", ("matin", "matinee")), ("soir", ("soir", "soiree", "fin de journee")))
MIN_QUESTION, MAX_QUESTION = 5, 2000
CALLBACK_SLOTS = ("phone_number", "callback_slot")


def callback_slot(text: str) -> Optional[str]:
    """« plutôt l'aprem » → ``apres-midi``; None when no slot is named (or several)."""
    folded = normalise.fold(text or "")
    found = {slot for slot, words in _SLOT_WORDS if any(word in folded for word in words)}
    return found.pop() if len(found) == 1 else None


def e164(phone: str) -> str:
    """``06 12 34 56 78`` → ``+33612345678``."""
    return "+33" + phone.replace(" ", "")[1:]


class ValidateCallbackForm(FormValidationAction):
    """The phone number and the preferred slot, from the words or the buttons."""

    def name(self) -> str:
        return "validate_callback_form"

    def extract_phone_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[str, Any]:
        phone = form_input.entity(tracker, "phone_number") or normalise.phone_number(form_input.text(tracker))
        return form_input.found_or_answer(tracker, "phone_number", phone, "request_callback", limit=100)

    def validate_phone_number(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        phone = normalise.phone_number(value)
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone")
        return {"phone_number": phone}

    def extract_callback_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict[str, Any]:
        slot = form_input.entity(tracker, "callback_slot") or callback_slot(form_input.text(tracker))
        return form_input.found_or_answer(tracker, "callback_slot", slot, limit=100)

    def validate_callback_slot(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value in SLOT_LABELS:
            return {"callback_slot": value}
        dispatcher.utter_message(response="utter_invalid_callback_slot")
        return {"callback_slot": None}


class ActionConfirmCallback(Action):
    """Reads the number and the slot back for a « oui »."""

    def name(self) -> str:
        return "action_confirm_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_confirm_callback", phone=tracker.get_slot("phone_number"),
                                 slot=SLOT_LABELS.get(tracker.get_slot("callback_slot"), ""))
        return [SlotSet("awaiting_confirmation", "callback")]


class ActionCreateCallback(Action):
    """« Oui »: the callback ticket for the team."""

    def name(self) -> str:
        return "action_create_callback"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        # The « oui » may carry a phone_number entity of its own (« oui, au +33 6… », or a forged
        # payload): normalised again, and an unusable one is asked again instead of being stored.
        phone = normalise.phone_number(tracker.get_slot("phone_number"))
        slot = tracker.get_slot("callback_slot")
        if phone is None or slot not in SLOT_LABELS:
            dispatcher.utter_message(response="utter_invalid_phone")
            return [SlotSet("awaiting_confirmation", None), *(SlotSet(s, None) for s in CALLBACK_SLOTS)]
        ticket = open_ticket(tracker, kind="callback", reason="callback_request",
                             order_number=tracker.get_slot("verified_order"),
                             phone=e164(phone), slot=slot)
        dispatcher.utter_message(response="utter_callback_registered", ticket=ticket, phone=phone,
                                 slot=SLOT_LABELS[slot])
        return [SlotSet("awaiting_confirmation", None), SlotSet("callback_slot", None)]


class ActionCorrectCallback(Action):
    """« Non »: the number and the slot are asked again."""

    def name(self) -> str:
        return "action_correct_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_callback_correction")
        return [SlotSet("awaiting_confirmation", None), *(SlotSet(s, None) for s in CALLBACK_SLOTS)]


class ValidateEmailAnswerForm(FormValidationAction):
    """The address to answer to (the verified one if any) and the question."""

    def name(self) -> str:
        return "validate_email_answer_form"

    def extract_reply_email(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[str, Any]:
        address = form_input.entity(tracker, "email") or normalise.email(form_input.text(tracker))
        if not address and tracker.get_slot("reply_email") is None and tracker.get_slot("verified_order"):
            address = tracker.get_slot("email")  # already proved in this conversation
        return form_input.found_or_answer(tracker, "reply_email", address, "request_email_answer")

    def validate_reply_email(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        address = normalise.email(value)
        if address is None:
            dispatcher.utter_message(response="utter_invalid_email")
        return {"reply_email": address}

    def extract_question(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") == "question" and form_input.may_read(tracker):
            return {"question": form_input.text(tracker)[:MAX_QUESTION + 1]}
        return {}

    def validate_question(self, value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < MIN_QUESTION or len(text) > MAX_QUESTION:
            dispatcher.utter_message(response="utter_invalid_question", max=str(MAX_QUESTION))
            return {"question": None}
        return {"question": text}


class ActionCreateEmailTicket(Action):
    """The written-answer ticket for the team."""

    def name(self) -> str:
        return "action_create_email_ticket"

    @apologise_on_failure()
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        email, question = tracker.get_slot("reply_email"), tracker.get_slot("question")
        ticket = open_ticket(tracker, kind="email", reason="written_answer",
                             order_number=tracker.get_slot("verified_order"), question=question, email=email)
        dispatcher.utter_message(response="utter_email_ticket_registered", ticket=ticket, email=email)
        return [SlotSet("question", None)]
