"""Returns, address changes and account links over REST, checked in the database and the inbox.

Runs after test_conversations.py and before test_self_service_e2e.py, which
cancels CO100003: the address of CO100003 is changed here while it is still
being prepared.
"""

from __future__ import annotations

import re

import pytest
from chat_helpers import said
from sqlalchemy import func, select

from actions import accounts, db
from actions.models import Customer, Order, Return, Ticket

pytestmark = pytest.mark.e2e

TOKEN = re.compile(r"\?token=([A-Za-z0-9_\-]+)")


def returns_of(assistant, number: str) -> int:
    return assistant.shop(select(func.count(Return.id)).join(Order, Return.order_id == Order.id)
                          .where(Order.number == number))


def test_return_step_by_step_then_asked_again(assistant):
    say = assistant.conversation()
    assert "commande" in said(say("bonjour je voudrais renvoyer un article"))
    assert "e-mail" in said(say("CO100002"))
    assert "ouvert" in said(say("camille.martin@example.fr"))
    assert re.search(r"intact|parfait état", said(say("oui")))  # either variation of the question
    why = said(say("oui"))
    assert "raison" in why or "ne va pas" in why
    registered = said(say("elle est trop petite, pas la bonne taille"))
    number = re.search(r"RET-\d{6}", registered)
    assert number and "robe d'été" in registered and "49,90 €" in registered
    assert returns_of(assistant, "CO100002") == 1

    again = assistant.conversation()
    answer = said(again("je veux retourner ma robe, commande CO100002, camille.martin@example.fr"))
    assert number.group(0) in answer  # the same return, given back at once
    assert returns_of(assistant, "CO100002") == 1


def test_damaged_item_in_one_message_is_free(assistant):
    say = assistant.conversation()
    say("mon casque audio est arrivé cassé, je veux le renvoyer. commande CO100006 emma.petit@example.fr")
    say("oui")
    answer = said(say("non"))
    assert "gratuit" in answer and "casque audio" in answer and re.search(r"RET-\d{6}", answer)
    free = assistant.shop(select(Return.free_return).join(Order, Return.order_id == Order.id)
                          .where(Order.number == "CO100006"))
    assert free is True


def test_outside_window_offers_an_advisor(assistant):
    say = assistant.conversation()
    refusal = said(say("je veux retourner ma veste commande CO100004 lucas.bernard@example.fr"))
    assert "30 jours" in refusal and "conseiller" in refusal
    assert returns_of(assistant, "CO100004") == 0
    handoff = said(say("oui"))
    assert re.search(r"TKT-\d{6}", handoff)
    assert assistant.shop(select(func.count(Ticket.id)).where(Ticket.order_number == "CO100004")) >= 1


def test_stop_in_the_middle_of_a_return_leaves_nothing(assistant):
    say = assistant.conversation()
    say("je veux faire un retour")
    say("CO100002")
    assert said(say("laisse tomber"))
    assert "commande" in said(say("je veux faire un retour"))  # starts from the beginning again


def test_digression_in_a_return_then_back(assistant):
    say = assistant.conversation()
    say("je veux renvoyer un article")
    digression = said(say("attends, je parle à un robot ?"))
    assert "assistant" in digression or "robot" in digression
    assert "numéro" in digression or "CO" in digression  # the question comes back


def test_address_changed_after_a_correction(assistant):
    say = assistant.conversation()
    say("je me suis trompé d'adresse de livraison pour la commande CO100003")
    assert "adresse" in said(say("camille.martin@example.fr"))
    check = said(say("5 avenue Foch 75016 Paris"))
    assert "5 avenue Foch, 75016 Paris" in check
    corrected = said(say("non, le code postal c'est 75017"))
    assert "5 avenue Foch, 75017 Paris" in corrected
    assert assistant.shop(select(Order.shipping_postcode).where(Order.number == "CO100003")) == "69003"
    done = said(say("oui"))
    assert "75017" in done
    assert assistant.shop(select(Order.shipping_street).where(Order.number == "CO100003")) == "5 avenue Foch"
    assert assistant.shop(select(Order.shipping_postcode).where(Order.number == "CO100003")) == "75017"


def test_shipped_order_gets_the_carrier_redirection(assistant):
    say = assistant.conversation()
    answer = said(say("je veux changer l'adresse de livraison de CO100001, camille.martin@example.fr"))
    assert "6A10000000001" in answer and "laposte.fr" in answer
    street = assistant.shop(select(Order.shipping_street).where(Order.number == "CO100001"))
    assert street == "12 rue des Lilas"


def test_unlock_link_arrives_and_unlocks_the_account(assistant):
    assistant.inbox.messages.clear()
    say = assistant.conversation()
    assert "e-mail" in said(say("mon compte est bloqué"))
    answer = said(say("lucas.bernard@example.fr"))
    assert "si un compte existe" in answer.lower()
    [mail] = assistant.inbox.messages
    assert mail["To"] == "lucas.bernard@example.fr"
    token = TOKEN.search(mail.get_body(("plain",)).get_content()).group(1)
    engine = db.make_engine(assistant.shop_url)
    db.use_engine(engine)
    try:
        assert accounts.use_link(token, "unlock") is True
        assert accounts.use_link(token, "unlock") is False  # single use
    finally:
        engine.dispose()
    lucas = select(Customer.account_status).where(Customer.email == "lucas.bernard@example.fr")
    assert assistant.shop(lucas) == "active"


def test_unknown_address_gets_the_same_words_and_no_mail(assistant):
    assistant.inbox.messages.clear()
    say = assistant.conversation()
    answer = said(say("j'ai oublié mon mot de passe, mon mail c'est inconnu.total@example.fr"))
    assert "si un compte existe" in answer.lower() and "inconnu.total@example.fr" in answer
    assert assistant.inbox.messages == []


def test_fourth_link_in_an_hour_is_refused(assistant):
    assistant.inbox.messages.clear()
    say = assistant.conversation()
    for _ in range(3):
        assert "si un compte existe" in said(say("mdp oublié, emma.petit@example.fr")).lower()
    refused = said(say("mdp oublié, emma.petit@example.fr"))
    assert "sécurité" in refused
    assert len(assistant.inbox.messages) == 3
