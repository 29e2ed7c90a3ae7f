"""Whole conversations over the REST channel, checked as the customer reads them.

The shop's database is checked afterwards: tickets really exist, nothing else changed.
"""

from __future__ import annotations

import json
import re

import pytest
from chat_helpers import said
from sqlalchemy import func, select

from actions.models import Order, Ticket

pytestmark = pytest.mark.e2e


def ticket(assistant, number: str) -> Ticket:
    return assistant.shop(select(Ticket).where(Ticket.number == number))


def counts(assistant) -> tuple[int, int]:
    return (assistant.shop(select(func.count(Order.id))), assistant.shop(select(func.count(Ticket.id))))


def test_where_is_my_parcel_step_by_step(assistant):
    say = assistant.conversation()
    greeting = say("bonjour")
    assert "Colibri" in said(greeting)
    assert any(m.get("buttons") for m in greeting)
    assert "CO" in said(say("ou est mon colis ?"))
    assert "e-mail" in said(say("c'est la co-100001"))
    answer = said(say("camille.martin@example.fr"))
    assert "CO100001" in answer and "chaussures de running" in answer
    assert "6A10000000001" in answer and "Colissimo" in answer
    assert re.search(r"[Ll]ivraison prévue|devrait arriver", answer)
    assert "Colissimo" in answer.split("6A10000000001", 1)[1]  # the live carrier line follows


def test_everything_in_one_message_for_an_order_in_preparation(assistant):
    say = assistant.conversation()
    answer = said(say("Bonjour, où en est ma commande CO100003 ? mon mail camille.martin@example.fr"))
    assert "préparation" in answer and "sac à dos" in answer


def test_delayed_order_apologises(assistant):
    say = assistant.conversation()
    answer = said(say("jai pa recu ma cmd co 100005, lucas.bernard@example.fr"))
    assert "montre" in answer and "incident" in answer
    assert re.search(r"excuses|désolé", answer)


def test_delivered_not_received_opens_an_investigation(assistant):
    say = assistant.conversation()
    answer = said(say("le colis CO100006 est marqué livré mais je l'ai pas, emma.petit@example.fr"))
    assert "casque audio" in answer and "livrée" in answer
    assert "reçu" in answer
    follow_up = said(say("non je l'ai pas reçu"))
    number = re.search(r"TKT-\d{6}", follow_up).group(0)
    saved = ticket(assistant, number)
    assert saved.kind == "investigation" and saved.order_number == "CO100006"


def test_wrong_email_never_discloses_and_three_failures_hand_over(assistant):
    say = assistant.conversation()
    first = said(say("je veux suivre ma commande CO100001"))
    assert "e-mail" in first
    for wrong in ["emma.petit@example.fr", "lucas.bernard@example.fr"]:
        reply = said(say(wrong))
        assert "chaussures" not in reply and "6A10000000001" not in reply
        assert "ne correspond pas" in reply or "associer" in reply
    last = said(say("toto@example.fr"))
    assert "chaussures" not in last
    number = re.search(r"TKT-\d{6}", last).group(0)
    saved = ticket(assistant, number)
    assert saved.reason == "identity_check_failed"
    transcript = json.loads(saved.transcript)
    assert [line["text"] for line in transcript if line["role"] == "customer"][-1] == "toto@example.fr"
    assert transcript[0]["text"] == "je veux suivre ma commande CO100001"


def test_tracking_number_alone_says_nothing_personal(assistant):
    say = assistant.conversation()
    answer = said(say("ou en est le colis 6A10000000006 ?"))
    assert "6A10000000006" in answer and "livré" in answer
    assert "Emma" not in answer and "casque" not in answer and "CO100006" not in answer


def test_stop_in_the_middle_then_start_again(assistant):
    say = assistant.conversation()
    say("ou est ma commande")
    stopped = said(say("laisse tomber"))
    assert re.search(r"arrête|abandonne|laisse tomber", stopped)
    again = said(say("en fait ou est mon colis"))
    assert "CO" in again  # asks for the order number again, from scratch


def test_asking_for_an_advisor_records_a_ticket_with_history(assistant):
    say = assistant.conversation()
    say("bonjour")
    answer = said(say("je veux parler à un conseiller"))
    number = re.search(r"TKT-\d{6}", answer).group(0)
    saved = ticket(assistant, number)
    assert saved.kind == "handoff" and saved.channel == "rest"
    assert saved.conversation_id == say.sender
    texts = [line["text"] for line in json.loads(saved.transcript)]
    assert texts[0] == "bonjour" and "je veux parler à un conseiller" in texts


def test_out_of_scope_says_what_colibri_can_do(assistant):
    say = assistant.conversation()
    answer = said(say("quel temps fait-il à Lyon demain ?"))
    assert "commande" in answer and "conseiller" in answer


@pytest.mark.parametrize("message", [
    "",
    "   ",
    "😡😡😡",
    "a" * 10_000,
    "ou est mon colis " * 600,
    "\x00\x01\x02\xff\ufffd",
    "'; DROP TABLE orders; --",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "CO10000 1 ; co-1OOOO1",
    "camille.martin@@example..fr",
])
def test_bad_input_gets_a_clear_answer_and_changes_nothing(assistant, message):
    before = counts(assistant)
    say = assistant.conversation()
    replies = say(message)
    assert replies, "the customer must always get an answer"
    text = said(replies)
    assert "Traceback" not in text and "Exception" not in text
    assert "<script>" not in text
    assert counts(assistant) == before


def test_bad_values_inside_the_form_are_explained(assistant):
    say = assistant.conversation()
    say("ou est ma commande")
    reply = said(say("CO12"))
    assert "ressemble pas" in reply or "reconnu" in reply
    assert "CO" in reply  # and shows the expected format
