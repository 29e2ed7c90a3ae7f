"""The order tracking form and its answer, on a real seeded database."""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tracker_helpers import DOMAIN, make_tracker, responses, run

from actions import db
from actions.leaving import ActionClearOrderRequest
from actions.models import Order, Ticket
from actions.order_tracking import ActionOpenInvestigation, ActionTrackOrder, ValidateOrderTrackingForm
from simulators.laposte import start_in_thread

FORM = "order_tracking_form"


def validate(**kwargs):
    """Runs the form's validation on a message, as the form does."""
    tracker = make_tracker(active_loop=FORM, **kwargs)
    return asyncio.run(run(ValidateOrderTrackingForm(), tracker))


def act(action, **kwargs):
    """Runs ``action`` on a tracker built from ``kwargs``."""
    return asyncio.run(run(action, make_tracker(**kwargs)))


@pytest.fixture
def carrier(monkeypatch):
    """The La Poste simulator on loopback, with the client pointed at it."""
    server, url = start_in_thread(port=0, key="test-key")
    monkeypatch.setenv("CARRIER_API_URL", url)
    monkeypatch.setenv("CARRIER_API_KEY", "test-key")
    monkeypatch.setenv("CARRIER_TIMEOUT", "1")
    monkeypatch.setenv("CARRIER_RETRIES", "0")
    yield server
    server.stop()


def tickets(engine) -> list[Ticket]:
    with Session(engine, future=True) as session:
        return list(session.execute(select(Ticket).order_by(Ticket.id)).scalars())


# --- Validation -------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["co-100001", "CO 100001", "commande 100001", "Co100001", "100001"])
def test_order_number_is_normalised(shop_db, typed):
    slots, messages = validate(text=typed, set_now={"order_id": typed})
    assert slots["order_id"] == "CO100001"
    assert messages == []


def test_malformed_order_number_is_refused_and_counted(shop_db):
    slots, messages = validate(text="ma commande c'est 12", set_now={"order_id": "ma commande c'est 12"})
    assert slots["order_id"] is None
    assert slots["failed_checks"] == 1
    assert responses(messages) == ["utter_invalid_order_id"]


def test_unknown_order_is_refused(shop_db):
    slots, messages = validate(text="CO999999", set_now={"order_id": "CO999999"})
    assert slots["order_id"] is None
    assert responses(messages) == ["utter_unknown_order"]
    assert messages[0]["order_id"] == "CO999999"


def test_both_values_in_one_message_verify_the_owner(shop_db):
    slots, messages = validate(
        text="CO100001 camille.martin@example.fr",
        set_now={"order_id": "CO100001", "email": "Camille.Martin@Example.fr"},
    )
    assert slots["verified_order"] == "CO100001"
    assert slots["email"] == "camille.martin@example.fr"
    assert slots.get("requested_slot") is None
    assert messages == []


def test_email_of_another_customer_is_refused_without_detail(shop_db):
    slots, messages = validate(text="emma.petit@example.fr", slots={"order_id": "CO100001"},
                               set_now={"email": "emma.petit@example.fr"})
    assert slots["email"] is None
    assert "verified_order" not in slots
    assert slots["failed_checks"] == 1
    assert responses(messages) == ["utter_email_mismatch"]


def test_malformed_email_is_refused(shop_db):
    slots, messages = validate(text="camille at example", slots={"order_id": "CO100001"},
                               set_now={"email": "camille at example"})
    assert slots["email"] is None
    assert responses(messages) == ["utter_invalid_email"]


def test_third_failure_stops_the_form(shop_db):
    slots, _ = validate(text="x@y.fr", slots={"order_id": "CO100001", "failed_checks": 2},
                        set_now={"email": "x@y.fr"})
    assert slots["failed_checks"] == 3
    assert slots["requested_slot"] is None


def test_tracking_number_alone_needs_nothing_more(shop_db):
    slots, messages = validate(text="6A10000000001", set_now={"tracking_number": "6A10000000001"})
    assert slots["requested_slot"] is None
    assert messages == []


def test_hostile_input_is_refused_and_writes_nothing(shop_db):
    evil = "CO100001'; DROP TABLE orders; -- <script>alert(1)</script>" + "x" * 10_000
    slots, messages = validate(text=evil, set_now={"order_id": evil})
    assert slots["order_id"] is None
    assert responses(messages) == ["utter_invalid_order_id"]
    with Session(shop_db, future=True) as session:
        assert session.execute(select(func.count(Order.id))).scalar_one() == 8


# --- The answer -------------------------------------------------------------------

def verified(number: str, email: str) -> dict:
    return {"order_id": number, "email": email, "verified_order": number}


def test_shipped_order_with_live_carrier_status(shop_db, carrier):
    slots, messages = act(ActionTrackOrder(), slots=verified("CO100001", "camille.martin@example.fr"))
    assert responses(messages) == ["utter_order_shipped", "utter_carrier_update", "utter_ask_satisfaction"]
    first = messages[0]
    assert first["first_name"] == "Camille"
    assert first["items"] == "chaussures de running"
    assert first["tracking_number"] == "6A10000000001"
    assert first["expected_delivery"]  # a French date
    assert messages[1]["label"]
    assert slots["order_status"] == "shipped"
    assert slots["order_id"] is None  # the next request asks again
    assert slots["satisfaction_request"] == "order_tracking"


def test_delayed_order_apologises_with_the_incident(shop_db, carrier):
    slots, messages = act(ActionTrackOrder(), slots=verified("CO100005", "lucas.bernard@example.fr"))
    assert responses(messages)[0] == "utter_order_delayed"
    assert "incident" in messages[0]["incident"]
    assert slots["order_status"] == "delayed"


def test_preparing_order(shop_db):
    slots, messages = act(ActionTrackOrder(), slots=verified("CO100003", "camille.martin@example.fr"))
    assert responses(messages) == ["utter_order_preparing", "utter_ask_satisfaction"]
    assert messages[0]["items"] == "sac à dos"
    assert messages[0]["total"] == "39,90 €"
    assert slots["order_status"] == "preparing"


def test_delivered_order_asks_whether_it_arrived(shop_db):
    slots, messages = act(ActionTrackOrder(), slots=verified("CO100006", "emma.petit@example.fr"))
    assert responses(messages) == ["utter_order_delivered", "utter_ask_parcel_received"]
    assert messages[0]["items"] == "casque audio"
    assert slots["order_status"] == "delivered"
    assert "satisfaction_request" not in slots  # a question is pending: no survey yet


def test_carrier_down_answers_from_the_order_system(shop_db, carrier):
    carrier.fail_always()
    slots, messages = act(ActionTrackOrder(), slots=verified("CO100001", "camille.martin@example.fr"))
    assert responses(messages) == [
        "utter_order_shipped", "utter_carrier_unavailable", "utter_ask_satisfaction"]
    assert slots["order_status"] == "shipped"


def test_unverified_order_is_never_disclosed(shop_db):
    unverified = {"order_id": "CO100001", "email": "emma.petit@example.fr"}
    slots, messages = act(ActionTrackOrder(), slots=unverified)
    assert not any(r.startswith("utter_order_") for r in responses(messages))
    assert slots["order_status"] == "unavailable"


def test_tracking_number_alone_gives_carrier_status_only(shop_db, carrier):
    slots, messages = act(ActionTrackOrder(), slots={"tracking_number": "6a10000000006"})
    assert responses(messages) == ["utter_parcel_status", "utter_ask_satisfaction"]
    assert messages[0]["tracking_number"] == "6A10000000006"
    assert set(messages[0]) >= {"label", "when"}
    assert "items" not in messages[0] and "first_name" not in messages[0]
    assert slots["order_status"] == "parcel_only"


def test_unknown_tracking_number(shop_db, carrier):
    _, messages = act(ActionTrackOrder(), slots={"tracking_number": "6A19999999999"})
    assert responses(messages) == ["utter_parcel_unknown"]


def test_three_failures_hand_over_to_an_online_advisor_with_transcript(shop_db, desk_hours, advisor_online):
    desk_hours(open=True)
    history = [{"event": "bot", "text": "Quel est votre numéro de commande ?", "timestamp": 1.0}]
    tracker = make_tracker(text="toto@example.fr", history=history,
                           slots={"order_id": "CO100004", "failed_checks": 3})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionTrackOrder().run(dispatcher, tracker, DOMAIN))
    assert responses(dispatcher.messages) == ["utter_checks_failed", "utter_handoff_queued"]
    assert {"event": "pause"} in [{"event": e["event"]} for e in events]
    ticket_number = dispatcher.messages[1]["ticket"]
    assert ticket_number.startswith("TKT-") and len(ticket_number) == 10
    assert dispatcher.messages[1]["position"] == "1"
    [ticket] = tickets(shop_db)
    assert ticket.number == ticket_number
    assert ticket.kind == "handoff" and ticket.reason == "identity_check_failed"
    lines = json.loads(ticket.transcript)
    assert [line["role"] for line in lines] == ["bot", "customer"]
    assert lines[1]["text"] == "toto@example.fr"


def test_three_failures_without_advisor_offer_a_callback(shop_db, desk_hours):
    desk_hours(open=True)  # open, but nobody signed in to the desk
    slots, messages = act(ActionTrackOrder(), text="toto@example.fr",
                          slots={"order_id": "CO100004", "failed_checks": 3})
    assert responses(messages) == ["utter_checks_failed", "utter_no_advisor_available"]
    assert "lundi" in messages[1]["advisor_hours"]
    assert tickets(shop_db) == []
    assert slots["order_status"] == "not_verified"


def test_investigation_ticket_names_the_order(shop_db):
    _, messages = act(ActionOpenInvestigation(), text="non", intent="deny",
                      slots=verified("CO100006", "emma.petit@example.fr"))
    assert responses(messages) == ["utter_investigation_opened"]
    [ticket] = tickets(shop_db)
    assert ticket.kind == "investigation" and ticket.order_number == "CO100006"
    assert ticket.number == messages[0]["ticket"]


def test_ticket_numbers_are_unique_and_sequential(shop_db):
    slots = verified("CO100006", "emma.petit@example.fr")
    numbers = [act(ActionOpenInvestigation(), slots=slots)[1][0]["ticket"] for _ in range(3)]
    assert len(set(numbers)) == 3
    assert numbers == sorted(numbers)


def test_stop_clears_an_unverified_request():
    slots, _ = act(ActionClearOrderRequest(), slots={"order_id": "CO100001", "email": "x@y.fr"})
    assert slots["order_id"] is None and slots["email"] is None and slots["requested_slot"] is None


def test_a_database_that_never_answers_gives_an_apology_not_a_hang(shop_db):
    """A server that accepts the connection and then says nothing (hung PostgreSQL, dropped
    packets): without a connect timeout libpq would wait for ever."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    outcome: dict = {}

    def ask() -> None:
        outcome["result"] = validate(text="CO100001", set_now={"order_id": "CO100001"})

    db.use_engine(db.make_engine(f"postgresql://nobody@127.0.0.1:{port}/shop"))
    try:
        worker = threading.Thread(target=ask, daemon=True)
        worker.start()
        worker.join(timeout=60)
    finally:
        db.use_engine(shop_db)
        silent.close()
    assert not worker.is_alive(), "the action is still waiting for the database"
    slots, messages = outcome["result"]
    assert responses(messages) == ["utter_service_error"]
    assert slots == {"requested_slot": None}


def test_database_down_gives_an_apology_not_a_stack_trace(shop_db):
    db.use_engine(db.make_engine("postgresql://nobody@127.0.0.1:1/none"))  # nothing listens there
    try:
        slots, messages = validate(text="CO100001", set_now={"order_id": "CO100001"})
    finally:
        db.use_engine(shop_db)
    assert responses(messages) == ["utter_service_error"]
    assert slots == {"requested_slot": None}
