"""Cancellation and refund conversations over REST, with the database checked afterwards.

CO100003 is the only demo order still in preparation: the confirmed cancellation
runs last in this file (and after test_conversations.py, which tracks it).
"""

from __future__ import annotations

import pytest
from chat_helpers import said
from sqlalchemy import select

from actions.models import Order

pytestmark = pytest.mark.e2e


def order_status(assistant, number: str) -> str:
    return assistant.shop(select(Order.status).where(Order.number == number))


def test_refund_issued_from_a_return_number(assistant):
    say = assistant.conversation()
    say("où en est mon remboursement ?")
    asks_email = said(say("c'est le retour RET-100001"))
    assert "e-mail" in asks_email
    answer = said(say("emma.petit@example.fr"))
    assert "RET-100001" in answer and "59,90 €" in answer and "jean" in answer


def test_refund_waiting_for_the_parcel(assistant):
    say = assistant.conversation()
    answer = said(say("jai tjs pas ete rembourse pour la commande CO100008, mon mail emma.petit@example.fr"))
    assert "RET-100002" in answer and "pas encore" in answer


def test_shipped_order_cannot_be_cancelled(assistant):
    say = assistant.conversation()
    answer = said(say("je voudrais annuler la commande CO100001, camille.martin@example.fr"))
    assert "CO100001" in answer and "retour" in answer
    assert order_status(assistant, "CO100001") == "shipped"


def test_cancellation_needs_a_yes(assistant):
    say = assistant.conversation()
    question = said(say("annulez ma commande co-100003 svp, camille.martin@example.fr"))
    assert "sac à dos" in question and "39,90 €" in question
    said(say("non finalement je la garde"))
    assert order_status(assistant, "CO100003") == "preparing"


def test_confirmed_cancellation(assistant):
    say = assistant.conversation()
    say("je veux annuler ma commande CO100003")
    assert "sac à dos" in said(say("camille.martin@example.fr"))
    done = said(say("oui"))
    assert "annulée" in done and "39,90 €" in done
    assert order_status(assistant, "CO100003") == "cancelled"
