"""Handing over to an advisor, callbacks and written answers, on a real database."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tracker_helpers import events_of, make_tracker, responses, run

from actions.callbacks import (
    ActionCreateCallback,
    ActionCreateEmailTicket,
    ValidateCallbackForm,
    ValidateEmailAnswerForm,
    callback_slot,
)
from actions.desk_models import Handoff
from actions.handoff import ActionHandoff
from actions.models import Ticket


def rows(engine, model):
    with Session(engine, future=True) as session:
        return list(session.execute(select(model).order_by(model.id)).scalars())


def test_handoff_queues_and_pauses_with_a_summary(shop_db, desk_hours, advisor_online):
    desk_hours(open=True)
    history = [{"event": "user", "text": "mon colis n'arrive pas", "timestamp": 1.0,
                "parse_data": {"intent": {"name": "track_order"}}},
               {"event": "bot", "text": "Quel est votre numéro ?", "timestamp": 2.0}]
    events, messages = events_of(ActionHandoff(), text="un conseiller", intent="human_handoff",
                                 history=history, slots={"verified_order": "CO100001",
                                                         "email": "camille.martin@example.fr"})
    assert responses(messages) == ["utter_handoff_queued"] and messages[0]["position"] == "1"
    assert events[-1]["event"] == "pause"
    [handoff] = rows(shop_db, Handoff)
    assert handoff.status == "waiting" and handoff.reason == "customer_request" and handoff.channel == "rest"
    summary = json.loads(handoff.summary)
    assert summary["request"] == "mon colis n'arrive pas"
    assert summary["order"] == "CO100001" and summary["email"] == "camille.martin@example.fr"
    assert [m["role"] for m in summary["last_messages"]] == ["customer", "bot", "customer"]


def test_second_handoff_while_waiting_keeps_the_place(shop_db, desk_hours, advisor_online):
    desk_hours(open=True)
    events_of(ActionHandoff(), text="conseiller", intent="human_handoff", sender="a")
    events_of(ActionHandoff(), text="conseiller", intent="human_handoff", sender="b")
    _, messages = events_of(ActionHandoff(), text="conseiller", intent="human_handoff", sender="a")
    assert messages[0]["position"] == "1"
    assert len(rows(shop_db, Handoff)) == 2


def test_unverified_email_is_not_in_the_summary(shop_db, desk_hours, advisor_online):
    desk_hours(open=True)
    events_of(ActionHandoff(), text="humain", intent="human_handoff", slots={"email": "x@y.fr"})
    assert json.loads(rows(shop_db, Handoff)[0].summary)["email"] is None


@pytest.mark.parametrize("intent,reason", [("complain", "upset_customer"), ("out_of_scope", "not_understood"),
                                           ("return_item", "offered")])
def test_the_reason_comes_from_what_led_to_the_offer(shop_db, desk_hours, advisor_online, intent, reason):
    desk_hours(open=True)
    history = [{"event": "user", "text": "...", "timestamp": 1.0, "parse_data": {"intent": {"name": intent}}}]
    events_of(ActionHandoff(), text="oui", intent="affirm", history=history)
    assert rows(shop_db, Handoff)[0].reason == reason


def test_outside_opening_hours_a_callback_or_email_is_offered(shop_db, desk_hours, advisor_online):
    desk_hours(open=False)
    events, messages = events_of(ActionHandoff(), text="conseiller", intent="human_handoff")
    assert responses(messages) == ["utter_no_advisor_available"]
    assert messages[0]["advisor_hours"] == "sur rendez-vous uniquement"
    assert all(e["event"] != "pause" for e in events)
    assert rows(shop_db, Handoff) == []


# --- callback ---------------------------------------------------------------------

def validate(action, **kwargs):
    return asyncio.run(run(action, make_tracker(**kwargs)))


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "0033612345678",
                                   "mon numéro : 06.12.34.56.78"])
def test_phone_numbers_are_normalised(typed):
    slots, messages = validate(ValidateCallbackForm(), text=typed, active_loop="callback_form",
                               slots={"requested_slot": "phone_number"})
    assert slots["phone_number"] == "06 12 34 56 78" and messages == []


@pytest.mark.parametrize("typed", ["123", "06 12", "+44 20 7946 0958", "x" * 5000, "<script>"])
def test_bad_phone_numbers_are_refused_with_an_example(typed):
    slots, messages = validate(ValidateCallbackForm(), text=typed, active_loop="callback_form",
                               slots={"requested_slot": "phone_number"})
    assert slots["phone_number"] is None and responses(messages) == ["utter_invalid_phone"]


@pytest.mark.parametrize("typed,slot", [("plutôt le matin", "matin"), ("l'aprem", "apres-midi"),
                                        ("apres midi svp", "apres-midi"), ("en fin de journée", "soir"),
                                        ("le soir", "soir"), ("n'importe quand", None)])
def test_preferred_slot_from_words(typed, slot):
    assert callback_slot(typed) == slot


def test_callback_ticket_keeps_the_number_in_international_form(shop_db):
    events, messages = events_of(ActionCreateCallback(), text="oui", intent="affirm",
                                 slots={"phone_number": "06 12 34 56 78", "callback_slot": "soir"})
    assert responses(messages) == ["utter_callback_registered"]
    [ticket] = rows(shop_db, Ticket)
    assert (ticket.kind, ticket.phone, ticket.slot) == ("callback", "+33612345678", "soir")
    assert ticket.number == messages[0]["ticket"]


# --- written answer ---------------------------------------------------------------------

def test_written_question_is_kept_whole_and_tidy(shop_db):
    question = "Bonjour,\n\nma  commande est arrivée   incomplète, que faire ?"
    slots, _ = validate(ValidateEmailAnswerForm(), text=question, active_loop="email_answer_form",
                        intent="nlu_fallback", slots={"requested_slot": "question", "reply_email": "a@b.fr"})
    assert slots["question"] == "Bonjour, ma commande est arrivée incomplète, que faire ?"


@pytest.mark.parametrize("typed", ["ok", "   ", "x" * 2001])
def test_written_question_too_short_or_too_long(typed):
    slots, messages = validate(ValidateEmailAnswerForm(), text=typed, active_loop="email_answer_form",
                               slots={"requested_slot": "question"})
    assert slots.get("question") is None and responses(messages) == ["utter_invalid_question"]


def test_email_ticket_answers_to_the_address_given(shop_db):
    _, messages = events_of(ActionCreateEmailTicket(), slots={"reply_email": "lea@exemple.fr",
                                                              "question": "Livrez-vous en Corse ?"})
    [ticket] = rows(shop_db, Ticket)
    assert (ticket.kind, ticket.email) == ("email", "lea@exemple.fr")
    assert ticket.question == "Livrez-vous en Corse ?"
    assert messages[0]["email"] == "lea@exemple.fr"
