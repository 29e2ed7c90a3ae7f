"""The satisfaction survey: when it is asked, how ratings and comments are read and kept."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tracker_helpers import DOMAIN, events_of, make_tracker, responses
from tracker_helpers import slots_in as slots

from actions.desk_models import Handoff
from actions.handoff import ActionHandoff, ActionHandoffClosed
from actions.satisfaction import (
    ActionParcelReceived,
    ActionRecordRating,
    ActionSaveSatisfactionComment,
    ActionThank,
    ValidateSatisfactionCommentForm,
    comment_beside,
    parse_rating,
)
from actions.survey_models import SatisfactionRating


def ratings(engine):
    with Session(engine, future=True) as session:
        return list(session.execute(select(SatisfactionRating).order_by(SatisfactionRating.id)).scalars())


def asked(request: str, at: float = 10.0) -> list:
    """History: the survey was asked about ``request`` earlier in this conversation."""
    return [{"event": "action", "name": "action_listen", "timestamp": at},
            {"event": "slot", "name": "satisfaction_request", "value": request, "timestamp": at}]


def new_session(carried: dict, at: float = 100.0) -> list:
    """History: a new conversation began, the previous one's slots carried over."""
    return [{"event": "action", "name": "action_session_start", "timestamp": at},
            {"event": "session_started", "timestamp": at},
            *({"event": "slot", "name": k, "value": v, "timestamp": at} for k, v in carried.items()),
            {"event": "action", "name": "action_listen", "timestamp": at}]


# --- reading a rating -------------------------------------------------------------------

@pytest.mark.parametrize("typed,rating", [
    ("5", 5), ("4/5", 4), ("je mets 3 sur 5", 3), ("5 étoiles", 5), ("⭐⭐⭐", 3), ("★★", 2),
    ("⭐️⭐️⭐️⭐️", 4), ("9", None), ("0/5", None), ("bof", None), ("", None),
])
def test_ratings_typed_the_way_customers_do(typed, rating):
    assert parse_rating(typed) == rating


@pytest.mark.parametrize("typed,comment", [
    ("2/5 c'était long", "c'était long"),
    ("je mets 5 étoiles, livraison super rapide", "livraison super rapide"),
    ("5/5", None), ("4 étoiles", None), ("⭐⭐⭐ ok", None), ("je donne 3", None),
])
def test_words_next_to_the_rating_are_its_comment(typed, comment):
    assert comment_beside(typed) == comment


# --- asking ------------------------------------------------------------------------------

def test_thanks_after_an_faq_answer_asks_for_a_rating(shop_db):
    history = [{"event": "action", "name": "action_answer_faq", "timestamp": 5.0}]
    events, messages = events_of(ActionThank(), text="merci", intent="thank", history=history)
    assert responses(messages) == ["utter_youre_welcome_short", "utter_ask_satisfaction"]
    assert slots(events) == {"satisfaction_request": "faq"}


def test_thanks_without_an_faq_answer_is_just_welcome(shop_db):
    events, messages = events_of(ActionThank(), text="merci", intent="thank")
    assert responses(messages) == ["utter_youre_welcome"] and events == []


def test_asked_at_most_once_per_conversation(shop_db):
    history = [*asked("order_tracking"), {"event": "action", "name": "action_answer_faq", "timestamp": 20.0}]
    events, messages = events_of(ActionThank(), text="merci", intent="thank", history=history)
    assert responses(messages) == ["utter_youre_welcome"] and events == []


def test_a_new_conversation_asks_again_despite_the_carried_over_slot(shop_db):
    history = [*asked("order_tracking"), *new_session({"satisfaction_request": "order_tracking"}),
               {"event": "action", "name": "action_answer_faq", "timestamp": 120.0}]
    events, messages = events_of(ActionThank(), text="merci", intent="thank", history=history)
    assert responses(messages)[-1] == "utter_ask_satisfaction"


def test_never_while_a_form_runs(shop_db):
    events, messages = events_of(ActionParcelReceived(), text="oui", intent="affirm",
                                 active_loop="return_form")
    assert responses(messages) == ["utter_glad_received"] and events == []


def test_parcel_received_asks_about_the_delivery(shop_db):
    events, messages = events_of(ActionParcelReceived(), text="oui", intent="affirm")
    assert responses(messages) == ["utter_glad_received_short", "utter_ask_satisfaction"]
    assert slots(events) == {"satisfaction_request": "delivery"}


def test_handoff_back_asks_unless_already_asked(shop_db):
    entities = [{"entity": "advisor_name", "value": "Julie"}]
    events, messages = events_of(ActionHandoffClosed(), intent="EXTERNAL_handoff_closed", entities=entities)
    assert responses(messages) == ["utter_handoff_back"] and messages[0]["advisor"] == "Julie"
    assert slots(events) == {"awaiting_confirmation": "rating", "satisfaction_request": "handoff"}
    events, messages = events_of(ActionHandoffClosed(), intent="EXTERNAL_handoff_closed",
                                 entities=entities, history=asked("faq"))
    assert responses(messages) == ["utter_handoff_back_no_survey"]
    assert slots(events) == {"awaiting_confirmation": None}


# --- recording ----------------------------------------------------------------------------

def test_a_good_rating_is_stored_with_the_request_and_channel_then_a_comment_is_invited(shop_db):
    events, messages = events_of(ActionRecordRating(), text='/give_rating{"rating": "4"}',
                                 intent="give_rating", entities=[{"entity": "rating", "value": "4"}],
                                 sender="c1", history=asked("order_tracking"))
    assert responses(messages) == ["utter_rating_thanks_ask_comment"]
    assert slots(events) == {"awaiting_confirmation": "rating_comment"}
    [row] = ratings(shop_db)
    assert (row.conversation_id, row.channel, row.request, row.rating, row.comment) == (
        "c1", "rest", "order_tracking", 4, None)


def test_a_low_rating_with_words_keeps_them_and_offers_an_advisor(shop_db):
    events, messages = events_of(ActionRecordRating(), text="2/5 c'était bien trop long",
                                 intent="give_rating", entities=[{"entity": "rating", "value": "2"}],
                                 history=asked("faq"))
    assert responses(messages) == ["utter_rating_sorry_offer_advisor"]
    assert slots(events) == {"awaiting_confirmation": "advisor"}
    [row] = ratings(shop_db)
    assert (row.rating, row.comment, row.request) == (2, "c'était bien trop long", "faq")


def test_a_low_rating_alone_offers_a_comment_and_an_advisor(shop_db):
    _, messages = events_of(ActionRecordRating(), text="1", intent="inform", history=asked("return"))
    assert responses(messages) == ["utter_rating_sorry_ask_comment"]


def test_a_second_rating_replaces_the_first(shop_db):
    events_of(ActionRecordRating(), text="2", intent="give_rating", history=asked("faq"), sender="c2")
    events_of(ActionRecordRating(), text="5", intent="give_rating", history=asked("faq"), sender="c2")
    assert [(r.rating, r.request) for r in ratings(shop_db)] == [(5, "faq")]


def test_an_unreadable_rating_is_asked_again_and_nothing_stored(shop_db):
    events, messages = events_of(ActionRecordRating(), text="bof", intent="give_rating")
    assert responses(messages) == ["utter_ask_rating_again"]
    assert ratings(shop_db) == []


def test_an_out_of_range_number_is_asked_again(shop_db):
    events, messages = events_of(ActionRecordRating(), text="10/10", intent="give_rating",
                                 history=asked("faq"))
    assert responses(messages) == ["utter_ask_rating_again"]
    assert slots(events) == {"awaiting_confirmation": "rating"} and ratings(shop_db) == []


def test_an_unsolicited_rating_is_kept_as_general(shop_db):
    events_of(ActionRecordRating(), text="5 étoiles", intent="give_rating")
    assert [r.request for r in ratings(shop_db)] == ["general"]


def test_after_an_advisor_the_rating_points_to_the_handoff(shop_db, desk_hours, advisor_online):
    desk_hours(open=True)
    events_of(ActionHandoff(), text="conseiller", intent="human_handoff", sender="c3")
    with Session(shop_db, future=True) as session, session.begin():
        session.execute(update(Handoff).values(status="closed", closed_at=Handoff.created_at))
    events_of(ActionRecordRating(), text="5", intent="give_rating", sender="c3", history=asked("handoff"))
    [row] = ratings(shop_db)
    with Session(shop_db, future=True) as session:
        handoff_id = session.execute(select(Handoff.id)).scalar_one()
    assert (row.request, row.handoff_id, row.rating) == ("handoff", handoff_id, 5)


# --- the comment --------------------------------------------------------------------------

def validate(text: str):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, active_loop="satisfaction_comment_form",
                           set_now={"satisfaction_comment": text})
    events = asyncio.run(ValidateSatisfactionCommentForm().run(dispatcher, tracker, DOMAIN))
    return slots(events).get("satisfaction_comment"), responses(dispatcher.messages)


def test_comment_is_free_text_tidied():
    assert validate("  emballage   abîmé\n mais livreur sympa ") == ("emballage abîmé mais livreur sympa", [])


def test_an_over_long_comment_is_refused_with_a_reason():
    assert validate("x" * 2001) == (None, ["utter_comment_too_long"])


def test_the_comment_is_kept_with_the_rating(shop_db):
    events_of(ActionRecordRating(), text="3", intent="give_rating", history=asked("return"), sender="c4")
    events, messages = events_of(ActionSaveSatisfactionComment(), text="le formulaire était long",
                                 sender="c4", history=asked("return"),
                                 slots={"satisfaction_comment": "le formulaire était long"})
    assert responses(messages) == ["utter_comment_thanks"]
    assert slots(events) == {"satisfaction_comment": None, "awaiting_confirmation": None}
    assert [(r.rating, r.comment) for r in ratings(shop_db)] == [(3, "le formulaire était long")]


def test_no_comment_is_fine(shop_db):
    _, messages = events_of(ActionSaveSatisfactionComment(), text="non", intent="deny")
    assert responses(messages) == ["utter_no_comment"]
