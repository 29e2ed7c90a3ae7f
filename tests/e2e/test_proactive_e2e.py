"""Colibri writes first, through the real servers: the shop's « order delivered » notice on the
web server's endpoint, answered on REST and on Messenger, « stop » respected, and the reminder
of a return left unfinished (Rasa's reminders, 5 s in these tests instead of a day)."""

from __future__ import annotations

import re
import time
from typing import List

import pytest
import requests
from chat_helpers import said
from sqlalchemy import func, select
from test_messenger_e2e import MessengerCustomer, text_of

from actions.models import Ticket
from actions.outreach_models import NotificationOptOut

pytestmark = pytest.mark.e2e

QUESTION = "Avez-vous bien reçu votre colis ? Êtes-vous satisfait ?"


def notify(assistant, order: str, token: str | None = None, body: object = None) -> requests.Response:
    token = assistant.proactive_token if token is None else token
    return requests.post(f"{assistant.desk_url}/api/proactive/order-delivered",
                         json={"order_id": order} if body is None else body,
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def picked_up(assistant, sender: str, since: float) -> List[dict]:
    reply = requests.get(f"{assistant.rasa_url}/webhooks/rest/messages",
                         params={"sender": sender, "since": since}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_delivered_notice_on_rest_and_not_received_opens_an_investigation(assistant):
    say = assistant.conversation()
    say("ou en est ma commande CO100003 camille.martin@example.fr")  # Camille proves who she is
    before = time.time()
    sent = notify(assistant, "CO100002")
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"status": "sent", "order_id": "CO100002", "conversation_id": say.sender,
                           "channel": "rest"}
    notice = said(picked_up(assistant, say.sender, before))
    assert QUESTION in notice and "Camille" in notice and "robe d'été" in notice

    answer = said(say("non je l'ai pas eu"))
    ticket = re.search(r"TKT-\d{6}", answer)
    assert ticket, answer
    assert assistant.shop(select(Ticket.order_number).where(Ticket.number == ticket.group(0))) == "CO100002"

    again = notify(assistant, "CO100002")
    assert again.json()["status"] == "skipped" and again.json()["reason"] == "already_sent"


def test_delivered_notice_on_messenger_and_received_asks_for_the_rating(assistant):
    customer = MessengerCustomer(assistant)
    customer.says("où est ma commande CO100008 emma.petit@example.fr")
    before = len(customer.inbox())
    sent = notify(assistant, "CO100006")
    assert sent.json()["status"] == "sent" and sent.json()["channel"] == "facebook", sent.text
    [question] = customer.inbox()[before:]
    template = question["attachment"]["payload"]
    assert QUESTION in template["text"] and "casque audio" in template["text"]
    yes = next(b for b in template["buttons"] if b["title"].startswith("Oui"))
    rating = text_of(customer.send(postback={"title": yes["title"], "payload": yes["payload"]}))
    assert "1 à 5" in rating or "de 1" in rating


def test_stop_after_a_notice_stops_colibris_own_messages(assistant):
    say = assistant.conversation()
    say("ou en est ma commande CO100005 lucas.bernard@example.fr")
    assert notify(assistant, "CO100004").json()["status"] == "sent"
    assert "plus" in said(say("stop, ne m'écrivez plus"))
    assert assistant.shop(select(func.count()).select_from(NotificationOptOut)) >= 1
    skipped = notify(assistant, "CO100005").json()
    assert (skipped["status"], skipped["reason"]) == ("skipped", "opted_out")


def test_the_endpoint_is_locked_and_checks_its_input(assistant):
    assert notify(assistant, "CO100001", token="").status_code == 401
    assert notify(assistant, "CO100001", token="devine").status_code == 401
    assert notify(assistant, "", body=["CO100001"]).status_code == 400
    assert notify(assistant, "pas une commande").status_code == 400
    assert notify(assistant, "CO999999").status_code == 404


# --- the reminder of an unfinished return -------------------------------------------------

def wait_for_messages(assistant, sender: str, since: float, pattern: str, seconds: float = 20) -> str:
    """The messages picked up after ``since`` once one matches the regex ``pattern``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = said(picked_up(assistant, sender, since))
        if re.search(pattern, got):
            return got
        time.sleep(0.5)
    raise AssertionError(f"{pattern!r} not received within {seconds} s")


def test_a_return_left_open_is_recalled_and_its_question_asked_again(assistant):
    say = assistant.conversation()
    asked = said(say("je voudrais faire un retour"))
    assert "commande" in asked
    before = time.time()
    reminder = r"pas terminé|attend encore"  # utter_return_reminder_in_form's two wordings
    recalled = wait_for_messages(assistant, say.sender, before, reminder)
    assert "commande" in re.split(reminder, recalled, maxsplit=1)[1]  # the form's question again
    assert "e-mail" in said(say("CO100002"))  # and the return goes on


def test_a_return_dropped_with_stop_is_recalled_with_a_way_out(assistant):
    say = assistant.conversation()
    say("je veux renvoyer un article")
    say("CO100002")
    say("laisse tomber")
    before = time.time()
    recalled = wait_for_messages(assistant, say.sender, before, "CO100002")
    assert "retour" in recalled
    declined = said(say("non merci"))
    assert "insiste pas" in declined or "quand vous voudrez" in declined


def test_a_finished_return_is_not_recalled(assistant):
    say = assistant.conversation()
    answer = said(say("je veux retourner mon pull commande CO100008 emma.petit@example.fr"))
    assert "RET-100002" in answer  # already registered: the return is over at once
    before = time.time()
    time.sleep(8)  # longer than RETURN_REMINDER_AFTER
    assert "retour" not in said(picked_up(assistant, say.sender, before))
