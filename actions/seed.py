"""Creates the shop's tables and the contract's demo data.

Dates are relative to the day of seeding. Run ``python -m actions.seed`` (add
``--reset`` to start again from scratch); ``DATABASE_URL`` picks the database.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import actions.account_models  # noqa: F401 - registers the account tables for create_all/drop_all
import actions.desk_models  # noqa: F401 - registers the desk tables
import actions.outreach_models  # noqa: F401 - registers the proactive messages tables
import actions.survey_models  # noqa: F401 - registers the satisfaction table
from actions import db
from actions.models import Base, Customer, Order, OrderItem, Return

ADDRESS = {"shipping_street": "12 rue des Lilas", "shipping_postcode": "69003", "shipping_city": "Lyon"}


def _order(number: str, customer: Customer, status: str, today: date, product: str,
           price: str, ordered: int, **fields: object) -> Order:
    """An order of one item, ``ordered`` days ago."""
    order = Order(number=number, customer=customer, status=status,
                  ordered_at=today - timedelta(days=ordered), **ADDRESS, **fields)
    order.items.append(OrderItem(product_name=product, quantity=1, unit_price=Decimal(price)))
    return order


def demo_rows(today: date) -> list:
    """The contract's customers, orders and returns, dated from ``today``."""
    d = lambda n: today + timedelta(days=n)  # noqa: E731 - short date arithmetic
    camille = Customer(first_name="Camille", last_name="Martin", email="camille.martin@example.fr",
                       phone="06 12 34 56 78", account_status="active")
    lucas = Customer(first_name="Lucas", last_name="Bernard", email="lucas.bernard@example.fr",
                     account_status="locked", failed_logins=5)
    emma = Customer(first_name="Emma", last_name="Petit", email="emma.petit@example.fr",
                    account_status="active")
    colissimo = {"carrier": "Colissimo"}
    orders = [
        _order("CO100001", camille, "shipped", today, "chaussures de running", "89.90", 3,
               shipped_at=d(-1), expected_delivery=d(2), tracking_number="6A10000000001", **colissimo),
        _order("CO100002", camille, "delivered", today, "robe d'été", "49.90", 9,
               shipped_at=d(-7), expected_delivery=d(-5), delivered_at=d(-5),
               tracking_number="6A10000000002", **colissimo),
        _order("CO100003", camille, "preparing", today, "sac à dos", "39.90", 1,
               expected_delivery=d(4)),
        _order("CO100004", lucas, "delivered", today, "veste", "129.00", 50,
               shipped_at=d(-47), expected_delivery=d(-45), delivered_at=d(-45),
               tracking_number="6A10000000004", **colissimo),
        _order("CO100005", lucas, "in_transit", today, "montre", "159.00", 6,
               shipped_at=d(-4), expected_delivery=d(2), tracking_number="6A10000000005",
               incident="un incident technique sur le réseau du transporteur a retardé l'acheminement",
               **colissimo),
        _order("CO100006", emma, "delivered", today, "casque audio", "79.90", 7,
               shipped_at=d(-5), expected_delivery=d(-3), delivered_at=d(-3),
               tracking_number="6A10000000006", **colissimo),
        _order("CO100007", emma, "delivered", today, "jean", "59.90", 24,
               shipped_at=d(-22), expected_delivery=d(-20), delivered_at=d(-20),
               tracking_number="6A10000000007", **colissimo),
        _order("CO100008", emma, "delivered", today, "pull", "45.00", 14,
               shipped_at=d(-12), expected_delivery=d(-10), delivered_at=d(-10),
               tracking_number="6A10000000008", **colissimo),
    ]
    by_number = {o.number: o for o in orders}
    returns = [
        Return(number="RET-100001", order=by_number["CO100007"], item=by_number["CO100007"].items[0],
               status="refunded", reason="wrong_size", created_at=d(-15), received_at=d(-5),
               refund_amount=Decimal("59.90"), refunded_at=d(-2)),
        Return(number="RET-100002", order=by_number["CO100008"], item=by_number["CO100008"].items[0],
               status="registered", reason="changed_mind", created_at=d(-3)),
    ]
    return [camille, lucas, emma, *orders, *returns]


def schema_is_current(engine: Engine) -> bool:
    """Whether every table and column of the models exists in the database."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            return not existing  # an empty database is fine: seeding creates everything
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        if not set(table.columns.keys()) <= columns:
            return False
    return True


def seed(engine: Engine, today: Optional[date] = None, reset: bool = False) -> bool:
    """Creates the tables and inserts the demo data if the shop is empty.

    Returns True when demo data was inserted.
    """
    if reset:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine, future=True) as session, session.begin():
        if session.execute(select(func.count(Customer.id))).scalar_one():
            return False
        session.add_all(demo_rows(today or date.today()))
    return True


def main() -> None:
    """Command line: ``python -m actions.seed [--reset]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reset", action="store_true", help="drop and recreate every table")
    parser.add_argument("--reset-if-outdated", action="store_true",
                        help="recreate the demo database when its tables are older than the code")
    args = parser.parse_args()
    reset = args.reset
    if args.reset_if_outdated and not schema_is_current(db.get_engine()):
        print("the demo database is older than the code: recreating it with the demo data")
        reset = True
    inserted = seed(db.get_engine(), reset=reset)
    url = db.get_engine().url.render_as_string(hide_password=True)
    print(f"demo data {'inserted' if inserted else 'already present'} in {url}")


if __name__ == "__main__":
    main()
