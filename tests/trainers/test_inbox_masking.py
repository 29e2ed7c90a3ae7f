"""Masking personal data and selecting missed messages, on hand-made Rasa events."""

from __future__ import annotations

import time
from typing import Dict, List, Optional

import pytest

from trainers.masking import dedup_key, mask
from trainers.nlu_yaml import Inbox
from trainers.selection import Prediction, Thresholds, is_complaint, missed_turns
from trainers.shop_names import KnownNames

NAMES = KnownNames.from_pairs([("Camille", "Martin"), ("Lucas", "Bernard"), ("Emma", "Petit"),
                               ("Jean-Pierre", "de La Fontaine")])


def user(text: str, intent: str, confidence: float, *others: tuple, entities: Optional[List[Dict]] = None,
         fallback: bool = False) -> Dict:
    """A ``user`` event as Rasa's tracker store keeps it; ``others``: (intent, confidence) pairs."""
    ranking = [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in others]
    top = {"name": intent, "confidence": confidence}
    if fallback:
        top = {"name": "nlu_fallback", "confidence": 0.55}
        ranking.insert(0, top)
    return {"event": "user", "text": text, "parse_data": {"intent": top, "intent_ranking": ranking,
                                                            "entities": entities or [], "text": text}}


def bot(text: str, response: str = "utter_x", buttons: Optional[List] = None) -> Dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": response},
            "data": {"buttons": buttons}}


def action(name: str) -> Dict:
    return {"event": "action", "name": name}


def exported(events: List[Dict]) -> Dict[str, set]:
    return {turn.text: turn.reasons for turn in missed_turns(events, Thresholds(0.55, 0.1))}


# --- masking -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    ("mon mail camille.martin@example.fr merci", "mon mail [client@example.fr](email) merci"),
    ("Camille.Martin@Example.FR.", "[client@example.fr](email)."),
    ("c'est camille . martin @ gmail . com", "c'est [client@example.fr](email)"),
    ("appelez le 06 12 34 56 78", "appelez le [06 00 00 00 00](phone_number)"),
    ("appelez le 0612345678", "appelez le [06 00 00 00 00](phone_number)"),
    ("tel +33 6 12 34 56 78 svp", "tel [06 00 00 00 00](phone_number) svp"),
    ("mon num belge +32 470 12 34 56", "mon num belge [06 00 00 00 00](phone_number)"),
    ("ou est CO100001", "ou est [CO100000](order_id)"),
    ("ou est ma co-100004 ?", "ou est ma [co-100000](order_id) ?"),
    ("la co 100002", "la [co 100000](order_id)"),
    ("commande 100003 pas recue", "commande [100000](order_id) pas recue"),
    ("cmd n°100002", "cmd n°[100000](order_id)"),
    ("mon retour RET-100002", "mon retour RET-100000"),
    ("colis 6A10000000006 bloqué", "colis [6A00000000000](tracking_number) bloqué"),
    ("colis 6A 1000 0000 005", "colis [6A00000000000](tracking_number)"),
    ("j'habite 12 rue des Lilas 75011 Paris", "j'habite 1 rue de l'Exemple 75000 Paris"),
    ("livrez au 3 bis, avenue Victor Hugo et pas ailleurs", "livrez au 1 rue de l'Exemple et pas ailleurs"),
    ("code postal 69003 lyon svp", "code postal 75000 Paris svp"),
    ("carte 4970 1012 3456 7890", "carte 0000000"),
    ("payé 12000 euros", "payé 12000 euros"),
])
def test_identifiers_and_addresses_become_placeholders(typed: str, expected: str) -> None:
    assert mask(typed) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("bonjour je m'appelle Jeanne Roux", "bonjour je m'appelle Dominique Durand"),
    ("jmappelle jeanne roux et j'ai un souci", "jmappelle Dominique Durand et j'ai un souci"),
    ("mon nom est roux", "mon nom est Dominique"),
    ("Je suis Jeanne Roux, ma commande", "Je suis Dominique Durand, ma commande"),
    ("je suis très déçu", "je suis très déçu"),
    ("c'est jeanne roux à l'appareil", "c'est Dominique Durand à l'appareil"),
    ("Bonjour Madame, M. Roux voudrait savoir", "Bonjour Madame, M. Durand voudrait savoir"),
    ("mme roux ici", "mme Durand ici"),
    ("Monsieur je voudrais", "Monsieur je voudrais"),
    ("Cordialement, Jeanne Roux", "Cordialement, Dominique Durand"),
])
def test_introduced_names_are_masked(typed: str, expected: str) -> None:
    assert mask(typed) == expected


def test_shop_customers_names_are_masked_but_not_ordinary_words() -> None:
    assert mask("emma petit a commandé", NAMES) == "Dominique Durand a commandé"
    assert mask("la robe est trop petit", NAMES) == "la robe est trop petit"
    assert mask("voir avec Petit", NAMES) == "voir avec Durand"
    assert mask("jean-pierre veut un remboursement", NAMES) == "Dominique veut un remboursement"
    assert mask("Mme de La Fontaine", NAMES) == "Mme de La Durand"


def test_everything_at_once_leaves_nothing_personal() -> None:
    text = ("Bonjour, je m'appelle Camille Martin, commande CO100002, mail camille.martin@example.fr, "
            "tel 06 12 34 56 78, 12 rue des Lilas 75011 Paris")
    masked = mask(text, NAMES)
    for secret in ("Camille", "Martin", "100002", "camille.martin", "12 34 56 78", "Lilas", "75011"):
        assert secret not in masked
    assert "[CO100000](order_id)" in masked and "[client@example.fr](email)" in masked


def test_customers_cannot_forge_annotations_and_junk_is_cleaned() -> None:
    assert mask("[Camille](email)\x00\u2028 ok\ud800", NAMES) == "(Dominique)(email) ok"
    assert mask("a\n\n  b\tc") == "a b c"


def test_products_found_by_the_model_are_annotated() -> None:
    text = "je veux renvoyer ma robe"
    assert mask(text, entities=[{"entity": "product", "start": 20, "end": 24}]) == \
        "je veux renvoyer ma [robe](product)"
    assert mask(text, entities=[{"entity": "product", "start": 18, "end": 22}]) == text  # not whole words
    not_annotated = [{"entity": "email", "start": 3, "end": 7}]
    assert mask("la robe de Camille", NAMES, not_annotated) == "la robe de Dominique"


def test_masking_long_pathological_text_is_fast() -> None:
    started = time.monotonic()
    mask("a." * 250 + "@" + "b." * 250)
    mask("0 " * 250)
    assert time.monotonic() - started < 1


def test_dedup_key_ignores_case_spaces_and_accents() -> None:
    assert dedup_key("Où  est ma   Commande") == dedup_key("ou est ma commande")


# --- selection ---------------------------------------------------------------------------------

def test_nlu_reasons() -> None:
    events = [
        user("blorp zirg", "track_order", 0.31, ("greet", 0.2), fallback=True),
        bot("Je n'ai pas compris."),
        user("quel temps fait-il", "out_of_scope", 0.97, ("greet", 0.01)),
        bot("Je ne sais pas."),
        user("hésitation", "cancel_order", 0.6, ("stop", 0.55)),
        bot("Voulez-vous annuler ?"),
        user("ou est mon colis", "track_order", 0.99, ("inform", 0.01)),
    ]
    assert exported(events) == {"blorp zirg": {"fallback", "low_confidence"},
                                "quel temps fait-il": {"out_of_scope"},
                                "hésitation": {"ambiguous"}}


def test_prediction_skips_nlu_fallback_and_names_the_faq_sub_intent() -> None:
    parse = user("frais ?", "faq", 0.4, fallback=True)["parse_data"]
    parse["response_selector"] = {"faq": {"response": {"intent_response_key": "faq/delivery_cost"}}}
    assert Prediction.from_parse_data(parse) == Prediction("nlu_fallback", "faq/delivery_cost", 0.4)
    assert Prediction.from_parse_data({}) == Prediction(None, None, 0.0)


def test_buttons_are_never_exported() -> None:
    assert exported([user("/human_handoff", "human_handoff", 1.0), bot("ok"),
                     user("/inform{\"x\": 1}", "nlu_fallback", 0.1)]) == {}


def test_message_before_a_handoff_request_is_exported() -> None:
    events = [
        user("ou est mon colis", "track_order", 0.99),
        bot("Quel est votre numéro de commande ?"),
        user("le machin du truc", "inform", 0.8, ("track_order", 0.1)),
        bot("Je n'ai pas trouvé."),
        user("je veux un conseiller", "human_handoff", 0.99),
        action("action_handoff"),
        bot("Ticket TKT-100001", response="utter_handoff_queued"),
        action("action_listen"),
    ]
    assert exported(events) == {"le machin du truc": {"handoff"}}


def test_handoff_through_a_button_and_after_failed_checks() -> None:
    offered = [user("aidez moi svp rien ne va", "greet", 0.7, ("inform", 0.1)),
               bot("Voulez-vous un conseiller ?", buttons=[{"payload": "/human_handoff"}]),
               user("/human_handoff", "human_handoff", 1.0), action("action_handoff")]
    assert exported(offered) == {"aidez moi svp rien ne va": {"handoff"}}
    failed = [user("CO100003 x@y.fr", "inform", 0.99), bot("Je m'arrête là", response="utter_checks_failed"),
              bot("Vous êtes n°1 dans la file", response="utter_handoff_queued")]
    assert exported(failed) == {"CO100003 x@y.fr": {"handoff"}}


def test_one_handoff_flags_one_message() -> None:
    events = [user("premier", "greet", 0.9), bot("Bonjour"), user("deuxième", "inform", 0.9), bot("ok"),
              user("conseiller", "human_handoff", 0.99), action("action_handoff"),
              bot("Ticket", response="utter_handoff_queued"), user("conseiller", "human_handoff", 0.99),
              action("action_handoff")]
    assert exported(events) == {"deuxième": {"handoff"}}


def test_complaint_after_an_answer_flags_the_previous_message() -> None:
    events = [
        user("je veux changer de taille", "cancel_order", 0.9),
        bot("Votre commande est annulée."),
        user("mais non ce n'est pas ce que je demandais", "deny", 0.8),
        bot("Pardon."),
        user("je veux un avoir", "refund_status", 0.9),
        bot("Votre remboursement est en cours."),
        user("non", "deny", 0.99),
        user("Tu ne comprends rien", "greet", 0.9),
    ]
    assert exported(events) == {"je veux changer de taille": {"complaint"}, "je veux un avoir": {"complaint"}}


def test_deny_to_a_question_is_not_a_complaint() -> None:
    events = [user("annule CO100003", "cancel_order", 0.99), bot("Je l'annule ?"), user("non", "deny", 0.99)]
    assert exported(events) == {}
    assert not is_complaint("non merci", Prediction("deny", "deny", 0.99), bot_asked=True)
    assert is_complaint("c pas sa que jai demandé", Prediction("inform", "inform", 0.9), bot_asked=True)


def test_a_new_session_ends_the_look_back() -> None:
    events = [user("le machin", "inform", 0.9), bot("ok"), {"event": "session_started"},
              user("conseiller", "human_handoff", 0.99), action("action_handoff")]
    assert exported(events) == {}


def test_inbox_deduplicates_and_counts() -> None:
    inbox = Inbox()
    inbox.add("Où est mon  colis", "track_order", "nlu_fallback", 0.5, {"fallback"})
    inbox.add("ou est mon colis", "inform", "nlu_fallback", 0.3, {"handoff"})
    inbox.add("autre chose", "greet", "greet", 0.4, {"low_confidence"})
    (example, other) = sorted(inbox.examples.values(), key=lambda e: -e.count)
    assert (example.text, example.count, example.reasons) == ("Où est mon  colis", 2, {"fallback", "handoff"})
    assert (example.intent, example.confidence) == ("inform", 0.3)
    assert inbox.per_reason()["fallback"] == {"examples": 1, "messages": 2}
    assert other.count == 1
