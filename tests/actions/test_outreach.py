"""Colibri writing first: where, to whom, and when not (actions/outreach.py), on a real database."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tracker_helpers import events_of, make_tracker, responses
from tracker_helpers import slots_in as slots

from actions import db, outreach
from actions.outreach import (
    ActionAskDeliveryFeedback,
    ActionRemindReturn,
    ActionStopNotifications,
    last_customer_message,
    remember_conversation,
    within_messaging_window,
)
from actions.outreach_models import CustomerConversation, NotificationOptOut, PendingReminder

HOUR = 3600.0




def rows(engine, model):
    with Session(engine, future=True) as session:
        return list(session.execute(select(model)).scalars())


def user(at: float, intent: str = "inform", channel: str = "facebook") -> dict:
    return {"event": "user", "text": "x", "timestamp": at, "input_channel": channel,
            "parse_data": {"intent": {"name": intent}}}


# --- Messenger's 24-hour window ---------------------------------------------------------

@pytest.mark.parametrize("channel,age_hours,allowed", [
    ("facebook", 1, True), ("facebook", 23.9, True), ("facebook", 24.1, False),
    ("rest", 240, True), ("socketio", 240, True),
])
def test_messenger_allows_writing_first_only_within_24_hours(channel, age_hours, allowed):
    now = 1_800_000_000.0
    assert within_messaging_window(channel, now - age_hours * HOUR, now) is allowed


def test_messenger_without_any_customer_message_is_outside_the_window():
    assert not within_messaging_window("facebook", None)


def test_the_last_customer_message_ignores_external_intents():
    events = [user(10.0), user(20.0, "EXTERNAL_return_reminder"), {"event": "bot", "timestamp": 30.0}]
    assert last_customer_message(events) == 10.0


# --- who the conversation belongs to ----------------------------------------------------

def test_proving_an_order_links_the_conversation_to_its_customer(shop_db):
    remember_conversation(make_tracker(sender="conv-1"), "CO100001")
    remember_conversation(make_tracker(sender="conv-1"), "CO100002")  # same customer: one link
    [link] = rows(shop_db, CustomerConversation)
    assert (link.conversation_id, link.channel) == ("conv-1", "rest")


# --- the delivery question --------------------------------------------------------------

def test_delivery_notice_asks_the_customer_about_their_order(shop_db):
    events, messages = events_of(ActionAskDeliveryFeedback(), intent="EXTERNAL_order_delivered",
                                 entities=[{"entity": "order_id", "value": "CO100006"}])
    assert responses(messages) == ["utter_ask_delivery_feedback"]
    assert (messages[0]["first_name"], messages[0]["items"]) == ("Emma", "casque audio")
    assert slots(events) == {"verified_order": "CO100006", "order_id": None,
                             "awaiting_confirmation": "parcel_received"}


def test_delivery_notice_for_an_unknown_order_says_nothing(shop_db):
    events, messages = events_of(ActionAskDeliveryFeedback(), intent="EXTERNAL_order_delivered",
                                 entities=[{"entity": "order_id", "value": "CO999999"}])
    assert messages == [] and events == []


def test_stop_records_the_opt_out_once(shop_db):
    for _ in range(2):
        events, messages = events_of(ActionStopNotifications(), text="stop", intent="stop",
                                     slots={"verified_order": "CO100006"})
    assert responses(messages) == ["utter_notifications_stopped"]
    assert len(rows(shop_db, NotificationOptOut)) == 1
    assert any(e["event"] == "cancel_reminder" for e in events)


# --- the return reminder ----------------------------------------------------------------

def remind(text="EXTERNAL: EXTERNAL_return_reminder", **kwargs):
    """The reminder as Rasa's scheduler fires it (``UserUttered.create_external``)."""
    return events_of(ActionRemindReturn(), intent="EXTERNAL_return_reminder", text=text,
                     entities=[{"entity": "order_id", "value": "CO100002"}], **kwargs)


def test_reminder_recalls_the_unfinished_return(shop_db):
    history = [user(time.time() - 60, channel="rest")]
    events, messages = remind(history=history)
    assert responses(messages) == ["utter_return_reminder_order"] and messages[0]["order_id"] == "CO100002"
    assert slots(events) == {"awaiting_confirmation": "return_reminder", "order_id": "CO100002"}


def test_a_typed_reminder_is_not_obeyed(shop_db):
    history = [user(time.time() - 60, channel="rest")]
    events, messages = remind(text='/EXTERNAL_return_reminder{"order_id":"CO100002"}', history=history)
    assert responses(messages) == ["utter_default"] and events == []


def test_reminder_while_the_form_is_open_lets_the_form_ask_again(shop_db):
    _, messages = remind(active_loop="return_form")
    assert responses(messages) == ["utter_return_reminder_in_form"]


def test_no_reminder_once_the_return_exists(shop_db):
    events, messages = events_of(ActionRemindReturn(), intent="EXTERNAL_return_reminder",
                                 entities=[{"entity": "order_id", "value": "CO100007"}])  # RET-100001
    assert messages == [] and events == []


def test_no_reminder_after_stop(shop_db):
    events_of(ActionStopNotifications(), text="stop", intent="stop", slots={"verified_order": "CO100002"})
    _, messages = remind(slots={"verified_order": "CO100002"})
    assert messages == []


def test_no_reminder_on_messenger_a_day_later(shop_db):
    old = [user(time.time() - 25 * HOUR)]
    _, messages = remind(history=old, channel="facebook")
    assert messages == []
    _, messages = remind(history=[user(time.time() - 23 * HOUR)], channel="facebook")
    assert responses(messages) == ["utter_return_reminder_order"]


def test_a_reminder_is_recorded_for_the_other_servers_and_spoken_once(shop_db):
    """Rasa's scheduler and a web server's sweep (proactive.reminders) may both fire it."""
    tracker = make_tracker(sender="conv-r1", slots={"order_id": "CO100002"})
    outreach.schedule_return_reminder(tracker)
    (row,) = rows(shop_db, PendingReminder)
    assert (row.conversation_id, row.order_number, row.sent_at) == ("conv-r1", "CO100002", None)
    history = [user(time.time() - 60, channel="rest")]
    _, first = remind(history=history, sender="conv-r1")
    _, second = remind(history=history, sender="conv-r1")
    assert responses(first) == ["utter_return_reminder_order"] and second == []
    outreach.schedule_return_reminder(tracker)  # the customer went on with the return: a new reminder
    assert rows(shop_db, PendingReminder)[0].sent_at is None
    outreach.cancel_return_reminder(tracker)  # registered, or « stop »
    assert rows(shop_db, PendingReminder) == []


def test_a_reminder_recorded_nowhere_is_still_spoken(shop_db):
    """Scheduled while the database was down: Rasa's own reminder must not be silenced."""
    _, messages = remind(history=[user(time.time() - 60, channel="rest")], sender="conv-r2")
    assert responses(messages) == ["utter_return_reminder_order"]


def test_without_the_database_the_reminder_is_still_scheduled(shop_db):
    db.use_engine(db.make_engine("postgresql://nobody@127.0.0.1:1/none"))  # nothing listens there
    try:
        reminder = outreach.schedule_return_reminder(make_tracker(sender="conv-r3"))
        cancelled = outreach.cancel_return_reminder(make_tracker(sender="conv-r3"))
    finally:
        db.use_engine(shop_db)
    assert reminder["event"] == "reminder" and cancelled["event"] == "cancel_reminder"


def test_reminders_are_named_per_conversation_and_delayed_as_configured(monkeypatch, shop_db):
    monkeypatch.setenv("RETURN_REMINDER_AFTER", "90")
    reminder = outreach.schedule_return_reminder(make_tracker(sender="abc", slots={"order_id": "CO100002"}))
    assert reminder["name"] == "return-reminder-abc" and reminder["intent"] == "EXTERNAL_return_reminder"
    assert reminder["kill_on_user_msg"] is False
    assert reminder["entities"] == [{"entity": "order_id", "value": "CO100002"}]
    assert outreach.cancel_return_reminder(make_tracker(sender="abc"))["name"] == "return-reminder-abc"
