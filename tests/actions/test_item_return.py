"""The return form and its answer, on a real seeded database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tracker_helpers import make_tracker, responses, run

from actions import db
from actions.item_return import ActionAskReturnItem, ActionRegisterReturn, ValidateReturnForm, pick_line
from actions.models import Customer, Order, OrderItem, Return
from actions.returns import OrderLine
from actions.seed import ADDRESS

FORM = "return_form"
CAMILLE, LUCAS, EMMA = "camille.martin@example.fr", "lucas.bernard@example.fr", "emma.petit@example.fr"


def verified(number: str, email: str, **more) -> dict:
    return {"order_id": number, "email": email, "verified_order": number, **more}


def validate(**kwargs):
    return asyncio.run(run(ValidateReturnForm(), make_tracker(active_loop=FORM, **kwargs)))


def act(action, **kwargs):
    return asyncio.run(run(action, make_tracker(**kwargs)))


def returns_in(engine) -> list[Return]:
    with Session(engine, future=True) as session:
        return list(session.execute(select(Return).order_by(Return.id)).scalars())


@pytest.fixture
def two_items(shop_db):
    """CO100009: Emma's order of a shirt and a belt, delivered 4 days ago."""
    with Session(shop_db, future=True) as session:
        emma = session.execute(select(Customer).where(Customer.email == EMMA)).scalar_one()
        today = date.today()
        order = Order(number="CO100009", customer=emma, status="delivered", ordered_at=today - timedelta(8),
                      shipped_at=today - timedelta(6), delivered_at=today - timedelta(4),
                      expected_delivery=today - timedelta(4), carrier="Colissimo", **ADDRESS)
        order.items += [OrderItem(product_name="chemise en lin", quantity=1, unit_price=Decimal("35.00")),
                        OrderItem(product_name="ceinture", quantity=1, unit_price=Decimal("19.90"))]
        session.add(order)
        session.commit()
    return shop_db


# --- The questions asked --------------------------------------------------------------

def test_one_item_order_skips_the_item_question(shop_db):
    slots, _ = validate(text="camille.martin@example.fr", slots={"order_id": "CO100002"},
                        set_now={"email": CAMILLE})
    assert slots["verified_order"] == "CO100002"
    assert slots["requested_slot"] == "parcel_opened"


def test_reason_in_the_first_message_is_kept(shop_db):
    slots, _ = validate(text="je veux renvoyer ma robe commande CO100002, elle est arrivée déchirée",
                        intent="return_item", set_now={"order_id": "CO100002"})
    assert slots["return_reason"] == "damaged"


def test_reason_button_and_words(shop_db):
    base = verified("CO100002", CAMILLE, parcel_opened=True, item_intact=True, requested_slot="return_reason")
    slots, _ = validate(text='/inform{"return_reason": "not_as_described"}', slots=base,
                        entities=[{"entity": "return_reason", "value": "not_as_described"}])
    assert slots["return_reason"] == "not_as_described"
    slots, _ = validate(text="bof elle me plait pas finalement", slots=base)
    assert slots["return_reason"] == "changed_mind"
    assert slots["requested_slot"] is None


def test_unreadable_reason_is_asked_again_with_the_choices(shop_db):
    base = verified("CO100002", CAMILLE, parcel_opened=True, item_intact=True, requested_slot="return_reason")
    slots, messages = validate(text="euh bah voilà quoi", slots=base)
    assert slots["return_reason"] is None
    assert responses(messages) == ["utter_unknown_reason"]


def test_a_way_out_is_never_read_as_a_reason(shop_db):
    base = verified("CO100002", CAMILLE, parcel_opened=True, item_intact=True, requested_slot="return_reason")
    slots, messages = validate(text="laisse tomber j'ai changé d'avis", intent="stop", slots=base)
    assert "return_reason" not in slots and messages == []  # the form rejects: the stop rule applies


def test_orders_past_the_window_or_not_delivered_end_the_form_at_once(shop_db):
    for number, email in (("CO100004", LUCAS), ("CO100001", CAMILLE)):
        slots, _ = validate(text=email, slots={"order_id": number}, set_now={"email": email})
        assert slots["requested_slot"] is None, number


def test_an_item_already_returned_ends_the_form_at_once(shop_db):
    slots, _ = validate(text=EMMA, slots={"order_id": "CO100008"}, set_now={"email": EMMA})
    assert slots["requested_slot"] is None


def test_several_items_ask_which_one(two_items):
    slots, _ = validate(text=EMMA, slots={"order_id": "CO100009"}, set_now={"email": EMMA})
    assert slots["verified_order"] == "CO100009"
    assert "requested_slot" not in slots  # all the form's slots are needed: Rasa asks return_item next
    _, messages = act(ActionAskReturnItem(), slots=verified("CO100009", EMMA))
    assert messages[0]["items"] == "chemise en lin et ceinture"
    assert [b["title"] for b in messages[0]["buttons"]] == ["chemise en lin (35,00 €)", "ceinture (19,90 €)"]


@pytest.mark.parametrize("said", ["la ceinture", "2. ceinture", "le deuxième", "la dernière"])
def test_the_item_is_picked_by_name_or_rank(two_items, said):
    slots, messages = validate(text=said, slots=verified("CO100009", EMMA, requested_slot="return_item"))
    with Session(two_items, future=True) as session:
        belt = session.execute(select(OrderItem.id).where(OrderItem.product_name == "ceinture")).scalar_one()
    assert slots["return_item"] == str(belt)
    assert messages == []


def test_an_item_not_in_the_order_is_refused(two_items):
    slots, messages = validate(text="la trottinette",
                               slots=verified("CO100009", EMMA, requested_slot="return_item"))
    assert slots["return_item"] is None
    assert responses(messages) == ["utter_unknown_item"]


def test_pick_line_needs_one_clear_answer():
    lines = [OrderLine(1, "robe d'été", Decimal("1"), None),
             OrderLine(2, "robe de soirée", Decimal("1"), None)]
    assert pick_line(lines, "la robe") is None  # two robes: ask again
    assert pick_line(lines, "la robe de soirée").item_id == 2
    assert pick_line(lines, "le 3") is None


# --- The answer ----------------------------------------------------------------------

def test_wrong_size_registers_a_paid_return(shop_db):
    slots, messages = act(ActionRegisterReturn(), slots=verified(
        "CO100002", CAMILLE, parcel_opened=True, item_intact=True, return_reason="wrong_size"))
    assert responses(messages) == ["utter_return_registered", "utter_ask_satisfaction"]
    ret = next(r for r in returns_in(shop_db) if r.number == messages[0]["return_number"])
    assert ret.reason == "wrong_size" and not ret.free_return and ret.opened and ret.intact
    assert messages[0]["product"] == "robe d'été" and messages[0]["amount"] == "49,90 €"
    assert messages[0]["return_number"].startswith("RET-")
    assert slots["order_id"] is None and slots["return_reason"] is None
    assert slots["satisfaction_request"] == "return"
    assert slots["awaiting_confirmation"] is None


def test_damaged_item_is_free_and_first(shop_db):
    _, messages = act(ActionRegisterReturn(), slots=verified(
        "CO100006", EMMA, parcel_opened=True, item_intact=False, return_reason="damaged"))
    assert responses(messages) == ["utter_return_registered_free", "utter_ask_satisfaction"]
    ret = next(r for r in returns_in(shop_db) if r.number == messages[0]["return_number"])
    assert ret.free_return and ret.priority


def test_asking_twice_gives_back_the_same_return(shop_db):
    slots = verified("CO100002", CAMILLE, parcel_opened=False, item_intact=True, return_reason="changed_mind")
    first = act(ActionRegisterReturn(), slots=slots)[1][0]
    second = act(ActionRegisterReturn(), slots=slots)[1][0]
    assert second["response"] == "utter_return_exists"
    assert second["return_number"] == first["return_number"]
    with Session(shop_db, future=True) as session:
        assert session.execute(select(func.count(Return.id))).scalar_one() == 3  # 2 demo + 1


def test_existing_return_is_given_back(shop_db):
    _, messages = act(ActionRegisterReturn(), slots=verified("CO100008", EMMA))
    assert responses(messages) == ["utter_return_exists"]
    assert messages[0]["return_number"] == "RET-100002"


def test_outside_window_offers_an_advisor_and_creates_nothing(shop_db):
    slots, messages = act(ActionRegisterReturn(), slots=verified("CO100004", LUCAS))
    assert responses(messages) == ["utter_return_outside_window"]
    assert messages[0]["window"] == "30"
    assert slots["awaiting_confirmation"] == "advisor"
    assert len(returns_in(shop_db)) == 2


def test_not_delivered_explains(shop_db):
    slots, messages = act(ActionRegisterReturn(), slots=verified("CO100001", CAMILLE))
    assert responses(messages) == ["utter_return_not_delivered"]
    assert slots["awaiting_confirmation"] is None
    assert len(returns_in(shop_db)) == 2


def test_worn_item_returned_by_choice_goes_to_an_advisor(shop_db):
    slots, messages = act(ActionRegisterReturn(), slots=verified(
        "CO100002", CAMILLE, parcel_opened=True, item_intact=False, return_reason="wrong_size"))
    assert responses(messages) == ["utter_return_not_intact"]
    assert slots["awaiting_confirmation"] == "advisor"
    assert len(returns_in(shop_db)) == 2


def test_unverified_request_registers_nothing(shop_db):
    _, messages = act(ActionRegisterReturn(), slots={"order_id": "CO100002", "email": LUCAS,
                                                      "return_reason": "wrong_size"})
    assert len(returns_in(shop_db)) == 2
    assert "utter_return_registered" not in responses(messages)


def test_returns_system_down_apologises_and_forgets_the_request(shop_db):
    db.use_engine(db.make_engine("postgresql://nobody@127.0.0.1:1/none"))
    try:
        slots, messages = act(ActionRegisterReturn(), slots=verified(
            "CO100002", CAMILLE, parcel_opened=True, item_intact=True, return_reason="wrong_size"))
    finally:
        db.use_engine(shop_db)
    assert responses(messages) == ["utter_service_error"]
    assert slots["order_id"] is None
    assert len(returns_in(shop_db)) == 2


def test_correcting_the_order_forgets_the_item_of_the_first_one(two_items):
    with Session(two_items, future=True) as session:
        belt = session.execute(select(OrderItem.id).where(OrderItem.product_name == "ceinture")).scalar_one()
    before = verified("CO100009", EMMA, return_item=str(belt), requested_slot="parcel_opened")
    slots, _ = validate(text="non, c'est la CO100006", set_now={"order_id": "CO100006"}, slots=before)
    assert slots["order_id"] == "CO100006" and slots["return_item"] is None
    assert slots["verified_order"] == "CO100006"  # same customer: still verified
