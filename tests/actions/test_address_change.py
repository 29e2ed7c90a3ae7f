"""Changing the delivery address: reading addresses, the form, the confirmation, the database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tracker_helpers import make_tracker, responses, run

from actions import addresses, db
from actions.address_change import (
    ActionChangeAddress,
    ActionCorrectAddress,
    ActionPrepareAddressChange,
    ValidateChangeAddressForm,
)
from actions.models import Order

FORM = "change_address_form"
CAMILLE = "camille.martin@example.fr"
NEW = {"new_street": "5 avenue Foch", "new_postcode": "75016", "new_city": "Paris"}


def verified(number: str, **more) -> dict:
    return {"order_id": number, "email": CAMILLE, "verified_order": number, **more}


def validate(**kwargs):
    return asyncio.run(run(ValidateChangeAddressForm(), make_tracker(active_loop=FORM, **kwargs)))


def act(action, **kwargs):
    return asyncio.run(run(action, make_tracker(**kwargs)))


def address_of(engine, number: str) -> tuple:
    with Session(engine, future=True) as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one()
        return order.shipping_street, order.shipping_postcode, order.shipping_city


# --- Reading an address ------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("12 rue des Lilas 69003 Lyon", ("12 rue des Lilas", "69003", "Lyon")),
    ("12 rue des lilas, 69003 lyon", ("12 rue des lilas", "69003", "Lyon")),
    ("ma nouvelle adresse c'est 3 bis avenue Jean Jaurès, 75019 Paris.",
     ("3 bis avenue Jean Jaurès", "75019", "Paris")),
    ("livrez au 8 impasse du Moulin 42000 saint-étienne", ("8 impasse du Moulin", "42000", "Saint-Étienne")),
])
def test_a_whole_address_in_one_message(typed, expected):
    assert addresses.read(typed) == dict(zip(addresses.PARTS, expected, strict=True))


@pytest.mark.parametrize("typed, asked, expected", [
    ("non, le code postal c'est 69007", None, {"new_postcode": "69007"}),
    ("la ville c'est Villeurbanne", None, {"new_city": "Villeurbanne"}),
    ("Villeurbanne", "new_city", {"new_city": "Villeurbanne"}),
    ("Villeurbanne", None, {}),  # a bare name counts only as the answer to « Et la ville ? »
    ("69100 Villeurbanne", "new_postcode", {"new_postcode": "69100", "new_city": "Villeurbanne"}),
    ("c'est au 4 place Bellecour", "new_street", {"new_street": "4 place Bellecour"}),
    ("camille.martin@example.fr", "new_street", {}),
    ("CO100003", None, {}),
    ("x" * 5000, "new_city", {}),
    ("", "new_city", {}),
])
def test_one_part_or_a_correction(typed, asked, expected):
    assert addresses.read(typed, asked=asked) == expected


def test_postcodes_are_french():
    assert addresses.valid_postcode("69003") and addresses.valid_postcode("01000")
    assert not addresses.valid_postcode("00100") and not addresses.valid_postcode("6900")
    assert not addresses.valid_postcode("99000") and not addresses.valid_postcode("690031")


# --- The form --------------------------------------------------------------------------

def test_whole_address_fills_the_form(shop_db):
    slots, messages = validate(text="5 avenue Foch 75016 Paris",
                               slots=verified("CO100003", requested_slot="new_street"))
    assert {k: slots[k] for k in NEW} == NEW
    assert messages == []


def test_bad_postcode_is_explained(shop_db):
    slots, messages = validate(text="6900", slots=verified("CO100003", new_street="5 avenue Foch",
                                                           requested_slot="new_postcode"))
    assert slots["new_postcode"] is None
    assert responses(messages) == ["utter_invalid_postcode"]


def test_one_part_corrected_while_another_is_asked(shop_db):
    slots, _ = validate(text="ah non pardon le code postal c'est 75017",
                        slots=verified("CO100003", new_street="5 avenue Foch", new_postcode="75016",
                                       requested_slot="new_city"))
    assert slots["new_postcode"] == "75017"


def test_stop_is_never_read_as_a_city(shop_db):
    slots, messages = validate(text="laisse tomber", intent="stop",
                               slots=verified("CO100003", **{**NEW, "new_city": None},
                                              requested_slot="new_city"))
    assert "new_city" not in slots and messages == []


def test_shipped_order_ends_the_form_without_asking_an_address(shop_db):
    slots, _ = validate(text=CAMILLE, slots={"order_id": "CO100001"}, set_now={"email": CAMILLE})
    assert slots["verified_order"] == "CO100001"
    assert slots["requested_slot"] is None


# --- Confirmation and change --------------------------------------------------------------

def test_the_new_address_is_read_back_before_any_change(shop_db):
    slots, messages = act(ActionPrepareAddressChange(), slots=verified("CO100003", **NEW))
    assert responses(messages) == ["utter_confirm_address"]
    assert messages[0]["new_address"] == "5 avenue Foch, 75016 Paris"
    assert messages[0]["old_address"] == "12 rue des Lilas, 69003 Lyon"
    assert slots["awaiting_confirmation"] == "change_address"
    assert address_of(shop_db, "CO100003") == ("12 rue des Lilas", "69003", "Lyon")


def test_yes_changes_the_address(shop_db):
    slots, messages = act(ActionChangeAddress(), text="oui", intent="affirm",
                          slots=verified("CO100003", awaiting_confirmation="change_address", **NEW))
    assert responses(messages) == ["utter_address_changed"]
    assert address_of(shop_db, "CO100003") == ("5 avenue Foch", "75016", "Paris")
    assert slots["new_street"] is None and slots["order_id"] is None


def test_no_with_a_correction_keeps_the_rest(shop_db):
    slots, messages = act(ActionCorrectAddress(), text="non le code postal c'est 75017", intent="deny",
                          slots=verified("CO100003", **NEW))
    assert slots == {"new_postcode": "75017", "awaiting_confirmation": None}
    assert messages == []


def test_plain_no_asks_the_address_again(shop_db):
    slots, messages = act(ActionCorrectAddress(), text="non", intent="deny",
                          slots=verified("CO100003", **NEW))
    assert all(slots[part] is None for part in addresses.PARTS)
    assert responses(messages) == ["utter_address_restart"]


def test_shipped_order_gets_the_carrier_redirection(shop_db):
    slots, messages = act(ActionPrepareAddressChange(), slots=verified("CO100001"))
    assert responses(messages) == ["utter_address_too_late"]
    assert messages[0]["tracking_number"] == "6A10000000001"
    assert messages[0]["redirect_url"].startswith("https://")
    assert slots["awaiting_confirmation"] is None


def test_delivered_order_is_explained(shop_db):
    _, messages = act(ActionPrepareAddressChange(), slots=verified("CO100002"))
    assert responses(messages) == ["utter_address_already_delivered"]


def test_order_shipped_between_question_and_yes_is_not_changed(shop_db):
    with Session(shop_db, future=True) as session:
        session.execute(Order.__table__.update().where(Order.number == "CO100003").values(status="shipped"))
        session.commit()
    _, messages = act(ActionChangeAddress(), slots=verified("CO100003", **NEW))
    assert responses(messages) == ["utter_address_too_late"]
    assert address_of(shop_db, "CO100003") == ("12 rue des Lilas", "69003", "Lyon")


def test_order_system_down_apologises_and_changes_nothing(shop_db):
    db.use_engine(db.make_engine("postgresql://nobody@127.0.0.1:1/none"))
    try:
        slots, messages = act(ActionChangeAddress(), slots=verified("CO100003", **NEW))
    finally:
        db.use_engine(shop_db)
    assert responses(messages) == ["utter_service_error"]
    assert slots["order_id"] is None
    assert address_of(shop_db, "CO100003") == ("12 rue des Lilas", "69003", "Lyon")
