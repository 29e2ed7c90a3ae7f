"""Cancellation and refund status actions on a real seeded database."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session
from tracker_helpers import make_tracker, responses, run

from actions.cancellation import ActionCancelOrder, ActionKeepOrder, ActionPrepareCancellation
from actions.models import Order
from actions.refunds import ActionRefundStatus, ValidateRefundForm


def act(action, **kwargs):
    return asyncio.run(run(action, make_tracker(**kwargs)))


def verified(number: str, email: str) -> dict:
    return {"order_id": number, "email": email, "verified_order": number}


def status(engine, number: str) -> str:
    with Session(engine, future=True) as session:
        return session.execute(select(Order.status).where(Order.number == number)).scalar_one()


CAMILLE = "camille.martin@example.fr"


def test_preparing_order_asks_for_confirmation_first(shop_db):
    slots, messages = act(ActionPrepareCancellation(), slots=verified("CO100003", CAMILLE))
    assert responses(messages) == ["utter_confirm_cancellation"]
    assert messages[0]["items"] == "sac à dos" and messages[0]["total"] == "39,90 €"
    assert slots["awaiting_confirmation"] == "cancel_order"
    assert status(shop_db, "CO100003") == "preparing"  # nothing done before the yes


def test_confirmed_cancellation_cancels_in_the_order_system(shop_db):
    slots, messages = act(ActionCancelOrder(), text="oui", intent="affirm",
                          slots={**verified("CO100003", CAMILLE), "awaiting_confirmation": "cancel_order"})
    assert responses(messages) == ["utter_order_cancelled_now", "utter_ask_satisfaction"]
    assert messages[0]["total"] == "39,90 €"
    assert status(shop_db, "CO100003") == "cancelled"
    assert (slots["awaiting_confirmation"], slots["satisfaction_request"]) == (None, "cancellation")


def test_keeping_the_order_changes_nothing(shop_db):
    _, messages = act(ActionKeepOrder(), text="non", intent="deny", slots=verified("CO100003", CAMILLE))
    assert responses(messages) == ["utter_cancellation_kept"]
    assert status(shop_db, "CO100003") == "preparing"


def test_shipped_order_cannot_be_cancelled(shop_db):
    slots, messages = act(ActionPrepareCancellation(), slots=verified("CO100001", CAMILLE))
    assert responses(messages) == ["utter_cannot_cancel_shipped"]
    assert slots["awaiting_confirmation"] is None
    assert status(shop_db, "CO100001") == "shipped"


def test_unverified_cancellation_does_nothing(shop_db):
    slots, messages = act(ActionCancelOrder(), slots={"order_id": "CO100003", "email": "x@y.fr"})
    assert status(shop_db, "CO100003") == "preparing"
    assert responses(messages) == ["utter_service_error"]


def test_refund_issued(shop_db):
    _, messages = act(ActionRefundStatus(), slots=verified("CO100007", "emma.petit@example.fr"))
    assert responses(messages) == ["utter_refund_refunded"]
    assert messages[0]["return_number"] == "RET-100001" and messages[0]["amount"] == "59,90 €"


def test_refund_waiting_for_the_parcel(shop_db):
    _, messages = act(ActionRefundStatus(), slots=verified("CO100008", "emma.petit@example.fr"))
    assert responses(messages) == ["utter_refund_registered"]
    assert messages[0]["product"] == "pull"


def test_no_return_on_the_order(shop_db):
    _, messages = act(ActionRefundStatus(), slots=verified("CO100002", CAMILLE))
    assert responses(messages) == ["utter_no_return"]


def test_return_number_stands_for_its_order(shop_db):
    tracker = make_tracker(text="c'est le retour RET-100002", active_loop="refund_form",
                           set_now={"order_id": "c'est le retour RET-100002"})
    slots, messages = asyncio.run(run(ValidateRefundForm(), tracker))
    assert slots["order_id"] == "CO100008" and messages == []


def test_unknown_return_number_is_refused(shop_db):
    tracker = make_tracker(text="RET-999999", active_loop="refund_form", set_now={"order_id": "RET-999999"})
    slots, messages = asyncio.run(run(ValidateRefundForm(), tracker))
    assert slots["order_id"] is None and responses(messages) == ["utter_invalid_order_id"]
