"""When Colibri does not understand, or the customer is upset.

- ``action_default_ask_affirmation`` (first stage of Rasa's two-stage fallback): « Vous
  voulez… ? » with the two most likely requests as buttons, in French words.
- ``action_default_fallback`` (second miss) and ``action_out_of_scope``: say what Colibri
  can do; from the second confusion of a conversation on, offer an advisor.
- ``action_offer_advisor``: an angry or urgent customer gets an apology and, outside a
  form, the offer of an advisor at once.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import faq

CONFUSIONS_BEFORE_OFFER = 2  # the second confusion of a conversation brings the offer
LABELS = {  # intents worth offering as « did you mean », in the customer's words
    "track_order": "Suivre une commande",
    "cancel_order": "Annuler une commande",
    "change_delivery_address": "Changer l'adresse de livraison",
    "return_item": "Retourner un article",
    "refund_status": "Suivre un remboursement",
    "account_locked": "Débloquer mon compte",
    "reset_password": "Changer de mot de passe",
    "human_handoff": "Parler à un conseiller",
    "ask_capabilities": "Savoir ce que vous savez faire",
    "bot_challenge": "Savoir si je parle à un robot",
    "complain": "Signaler un problème",
    "stop": "Arrêter là",
    "goodbye": "Dire au revoir",
}
FAQ_LABELS = {
    "delivery_time": "Les délais de livraison",
    "delivery_cost": "Les frais de livraison",
    "payment_methods": "Les moyens de paiement",
    "return_policy": "Les conditions de retour",
    "opening_hours": "Les horaires du service client",
    "contact": "Contacter le service client",
    "warranty": "La garantie",
    "international_shipping": "La livraison à l'étranger",
    "order_modification": "Modifier une commande",
    "gift_card": "Les cartes cadeaux",
    "size_guide": "Le guide des tailles",
    "data_privacy": "Mes données personnelles",
}
SOMETHING_ELSE = {"title": "Autre chose", "payload": "/out_of_scope"}  # Rasa's « no »: ask to rephrase


def _label(intent: str, tracker: Tracker) -> Optional[str]:
    if intent == faq.RETRIEVAL_INTENT:
        answer = faq.selected_answer(tracker) or ""
        return FAQ_LABELS.get(answer.rpartition("/")[2], "Une question générale")
    return LABELS.get(intent)


def likely_requests(tracker: Tracker, count: int = 2) -> List[Dict[str, str]]:
    """Buttons for the ``count`` most likely intents that have a label."""
    buttons = []
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        label = _label(ranked.get("name") or "", tracker)
        if label and len(buttons) < count:
            buttons.append({"title": label, "payload": f"/{ranked['name']}"})
    return buttons


def confusions(tracker: Tracker) -> int:
    return int(tracker.get_slot("confusion_count") or 0)


class ActionAskAffirmation(Action):
    """« Je ne suis pas sûr d'avoir compris : vous voulez… ? » with the two best guesses."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        guesses = likely_requests(tracker)
        response = "utter_ask_affirmation" if guesses else "utter_ask_rephrase"
        dispatcher.utter_message(response=response, buttons=[*guesses, SOMETHING_ELSE] if guesses else None)
        return []


def _count_and_maybe_offer(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """One more confusion; from the second on, the offer of an advisor."""
    count = confusions(tracker) + 1
    events: List[Dict[str, Any]] = [SlotSet("confusion_count", float(count))]
    if count >= CONFUSIONS_BEFORE_OFFER:
        dispatcher.utter_message(response="utter_offer_advisor_confused")
        events.append(SlotSet("awaiting_confirmation", "advisor"))
    else:
        events.append(SlotSet("awaiting_confirmation", None))
    return events


class ActionDefaultFallback(Action):
    """Second miss: what Colibri can do, and an advisor when confusion repeats."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted(), *_count_and_maybe_offer(dispatcher, tracker)]


class ActionOutOfScope(Action):
    """Kindly out of scope, with what Colibri can do; an advisor when it happens again."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_out_of_scope")
        return _count_and_maybe_offer(dispatcher, tracker)


class ActionOfferAdvisor(Action):
    """An upset customer: an apology, and an advisor offered at once (a way out, in a form)."""

    def name(self) -> str:
        return "action_offer_advisor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        if tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_sorry_in_form")
            return [SlotSet("awaiting_confirmation", None)]
        dispatcher.utter_message(response="utter_sorry_offer_advisor")
        return [SlotSet("awaiting_confirmation", "advisor")]
