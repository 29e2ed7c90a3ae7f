"""The account link conversation: same answer for everybody, real e-mails, rate limit."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tracker_helpers import make_tracker, responses, run

from actions.account_help import ActionSendAccountLink, ValidateAccountLinkForm
from actions.account_models import AccountLink

FORM = "account_link_form"
LUCAS = "lucas.bernard@example.fr"


def ask(intent: str, text: str) -> dict:
    """A user event as Rasa stores it: what the customer asked for."""
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}, "entities": []}}


def send(email: str, intent: str = "account_locked", sender: str = "conv-a"):
    tracker = make_tracker(text=email, slots={"account_email": email}, sender=sender,
                           history=[ask(intent, "mon compte est bloqué")])
    return asyncio.run(run(ActionSendAccountLink(), tracker))


def links(engine) -> int:
    with Session(engine, future=True) as session:
        return session.execute(select(func.count(AccountLink.id))).scalar_one()


def test_address_is_read_from_the_first_message(shop_db):
    tracker = make_tracker(text="mdp oublié, mon mail Lucas.Bernard@example.fr", intent="reset_password",
                           active_loop=FORM)
    slots, messages = asyncio.run(run(ValidateAccountLinkForm(), tracker))
    assert slots["account_email"] == LUCAS and messages == []


def test_an_answer_without_address_is_refused(shop_db):
    tracker = make_tracker(text="je sais plus", intent="inform", active_loop=FORM,
                           slots={"requested_slot": "account_email"})
    slots, messages = asyncio.run(run(ValidateAccountLinkForm(), tracker))
    assert slots["account_email"] is None
    assert responses(messages) == ["utter_invalid_email"]


def test_locked_customer_receives_an_unlock_link(shop_db, inbox):
    slots, messages = send(LUCAS)
    assert responses(messages) == ["utter_unlock_link_sent"]
    [mail] = inbox.messages
    assert mail["To"] == LUCAS
    assert "https://shop.test/compte/debloquer?token=" in mail.get_body().get_content()
    assert slots["account_email"] is None


def test_reset_request_sends_a_reset_link(shop_db, inbox):
    _, messages = send(LUCAS, intent="reset_password")
    assert responses(messages) == ["utter_reset_link_sent"]
    assert "/compte/mot-de-passe?token=" in inbox.messages[0].get_body().get_content()


def test_unknown_address_gets_the_same_answer_and_no_mail(shop_db, inbox):
    _, known = send(LUCAS, sender="conv-known")
    _, unknown = send("personne@example.fr", sender="conv-unknown")
    assert responses(known) == responses(unknown) == ["utter_unlock_link_sent"]
    assert len(inbox.messages) == 1


def test_mail_server_down_gets_the_same_answer_and_keeps_no_link(shop_db, inbox):
    inbox.refuse_recipients = True
    _, messages = send(LUCAS)
    assert responses(messages) == ["utter_unlock_link_sent"]
    assert inbox.messages == [] and links(shop_db) == 0


def test_fourth_request_in_an_hour_is_politely_refused(shop_db, inbox):
    answers = [responses(send(LUCAS)[1]) for _ in range(4)]
    assert answers[:3] == [["utter_unlock_link_sent"]] * 3
    assert answers[3] == ["utter_link_rate_limited"]
    assert len(inbox.messages) == 3


def test_the_account_address_is_not_reused_as_an_order_address(shop_db, inbox):
    tracker = make_tracker(text=LUCAS, slots={"account_email": LUCAS, "email": LUCAS},
                           history=[ask("account_locked", "mon compte est bloqué")])
    slots, _ = asyncio.run(run(ActionSendAccountLink(), tracker))
    assert slots["email"] is None  # « annuler ma commande » next asks for the order's e-mail
