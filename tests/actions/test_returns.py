"""The returns system and the changes Colibri may make to an order, on a real database."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions import returns, shop
from actions.models import Order, OrderItem, Return
from actions.returns import ReturnDecision
from actions.seed import schema_is_current, seed
from actions.shop import ChangeOutcome


def item_id(engine, order_number: str) -> int:
    with Session(engine, future=True) as session:
        return session.execute(
            select(OrderItem.id).join(Order).where(Order.number == order_number)
        ).scalar_one()


def order(engine, number: str) -> Order:
    with Session(engine, future=True) as session:
        return session.execute(select(Order).where(Order.number == number)).scalar_one()


@pytest.mark.parametrize(("days_ago", "reason", "decision"), [
    (5, "wrong_size", ReturnDecision.ALLOWED),
    (30, "changed_mind", ReturnDecision.ALLOWED),
    (31, "changed_mind", ReturnDecision.OUTSIDE_WINDOW),
    (45, "damaged", ReturnDecision.OUTSIDE_WINDOW),
    (3, "damaged", ReturnDecision.ALLOWED_FREE),
    (3, "wrong_item", ReturnDecision.ALLOWED_FREE),
])
def test_return_policy(days_ago, reason, decision):
    today = date(2026, 11, 23)
    assert returns.decide(today - timedelta(days=days_ago), reason, today) is decision


def test_not_delivered_cannot_be_returned_yet():
    assert returns.decide(None, "wrong_size") is ReturnDecision.NOT_DELIVERED


def test_create_return_gives_a_ret_number(shop_db):
    created = returns.create_return("CO100002", item_id(shop_db, "CO100002"), "wrong_size",
                                    opened=True, intact=True)
    assert created.number == "RET-100003"  # after the two demo returns
    assert created.product == "robe d'été" and created.amount == Decimal("49.90")
    assert created.status == "registered" and not created.free_return and not created.existing
    assert returns.find_return("RET-100003") == created


def test_damaged_item_is_free_and_priority(shop_db):
    created = returns.create_return("CO100006", item_id(shop_db, "CO100006"), "damaged",
                                    opened=True, intact=False)
    assert created.free_return and created.priority


def test_asking_twice_gives_back_the_same_return(shop_db):
    item = item_id(shop_db, "CO100002")
    first = returns.create_return("CO100002", item, "wrong_size", opened=True, intact=True)
    second = returns.create_return("CO100002", item, "changed_mind", opened=False, intact=True)
    assert second.number == first.number and second.existing
    assert second.reason == "wrong_size"


def test_two_racing_requests_create_one_return(shop_db):
    item, results, errors = item_id(shop_db, "CO100006"), [], []
    barrier = threading.Barrier(4)

    def ask() -> None:
        barrier.wait()
        try:
            results.append(returns.create_return("CO100006", item, "damaged", opened=True, intact=False))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.number for r in results}) == 1
    with Session(shop_db, future=True) as session:
        assert session.execute(select(func.count(Return.id)).where(Return.item_id == item)).scalar_one() == 1


def test_item_of_another_order_is_refused(shop_db):
    with pytest.raises(ValueError):
        returns.create_return("CO100002", item_id(shop_db, "CO100006"), "wrong_size", True, True)
    with pytest.raises(ValueError):
        returns.create_return("CO100002", item_id(shop_db, "CO100002"), "bored", True, True)


def test_refund_status_of_the_demo_returns(shop_db):
    refunded = returns.find_return("RET-100001")
    assert refunded.status == "refunded" and refunded.refund_amount == Decimal("59.90")
    assert refunded.refunded_at == date.today() - timedelta(days=2)
    waiting = returns.returns_of_order("CO100008")
    assert [r.number for r in waiting] == ["RET-100002"]
    assert waiting[0].status == "registered" and waiting[0].received_at is None
    assert returns.find_return("RET-999999") is None


def test_cancel_only_before_shipping(shop_db):
    assert shop.cancel_order("CO100003") is ChangeOutcome.DONE
    assert order(shop_db, "CO100003").status == "cancelled"
    assert shop.cancel_order("CO100003") is ChangeOutcome.ALREADY_CANCELLED
    assert shop.cancel_order("CO100001") is ChangeOutcome.ALREADY_SHIPPED
    assert order(shop_db, "CO100001").status == "shipped"
    assert shop.cancel_order("CO999999") is ChangeOutcome.UNKNOWN_ORDER


def test_change_address_only_before_shipping(shop_db):
    assert shop.change_address("CO100003", "3 place Bellecour", "69002", "Lyon") is ChangeOutcome.DONE
    changed = order(shop_db, "CO100003")
    assert (changed.shipping_street, changed.shipping_postcode) == ("3 place Bellecour", "69002")
    shipped = shop.change_address("CO100006", "3 place Bellecour", "69002", "Lyon")
    assert shipped is ChangeOutcome.ALREADY_SHIPPED
    assert order(shop_db, "CO100006").shipping_postcode == "69003"


@pytest.mark.parametrize(("street", "postcode", "city"), [
    ("3 place Bellecour", "6900", "Lyon"), ("3 place Bellecour", "00123", "Lyon"),
    ("", "69002", "Lyon"), ("3 place Bellecour", "69002", ""), ("x" * 300, "69002", "Lyon"),
])
def test_malformed_address_changes_nothing(shop_db, street, postcode, city):
    with pytest.raises(ValueError):
        shop.change_address("CO100003", street, postcode, city)
    assert order(shop_db, "CO100003").shipping_street == "12 rue des Lilas"


def test_outdated_demo_database_is_detected(tmp_path):
    from actions import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    assert schema_is_current(engine)  # empty: seeding creates everything
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE returns (id INTEGER PRIMARY KEY, number VARCHAR(10))")
    assert not schema_is_current(engine)
    seed(engine, reset=True)
    assert schema_is_current(engine)
