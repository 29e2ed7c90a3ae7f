"""The shop's order system: orders as plain, detached views, and the changes
Colibri may make before shipping (cancellation, delivery address).

Identity rule of the contract: an order's details are only for the customer
whose e-mail address matches the order's (``verify_owner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from actions import addresses
from actions.db import session_scope
from actions.models import Order


class Ownership(Enum):
    """Outcome of checking an order number against an e-mail address."""

    VERIFIED = "verified"
    UNKNOWN_ORDER = "unknown_order"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class OrderView:
    """What the assistant may say about one order, once the owner is verified."""

    number: str
    first_name: str
    status: str
    items: Tuple[str, ...]
    total: Decimal
    ordered_at: date
    shipped_at: Optional[date]
    expected_delivery: Optional[date]
    delivered_at: Optional[date]
    carrier: Optional[str]
    tracking_number: Optional[str]
    incident: Optional[str]
    address: str  # delivery address, on one line


def _view(order: Order) -> OrderView:
    return OrderView(
        number=order.number,
        first_name=order.customer.first_name,
        status=order.status,
        items=tuple(item.product_name for item in order.items),
        total=sum((item.unit_price * item.quantity for item in order.items), Decimal("0")),
        ordered_at=order.ordered_at,
        shipped_at=order.shipped_at,
        expected_delivery=order.expected_delivery,
        delivered_at=order.delivered_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        incident=order.incident,
        address=addresses.one_line(order.shipping_street, order.shipping_postcode, order.shipping_city),
    )


def order_exists(number: str) -> bool:
    """Whether the order system knows ``number`` (says nothing about its owner)."""
    with session_scope() as session:
        return session.execute(select(Order.id).where(Order.number == number)).first() is not None


def verify_owner(number: str, email: str) -> Ownership:
    """Checks that ``email`` is the address of the customer who placed ``number``."""
    with session_scope() as session:
        order = session.execute(
            select(Order).options(selectinload(Order.customer)).where(Order.number == number)
        ).scalar_one_or_none()
        if order is None:
            return Ownership.UNKNOWN_ORDER
        if order.customer.email.lower() != email.lower():
            return Ownership.MISMATCH
        return Ownership.VERIFIED


def find_order(number: str) -> Optional[OrderView]:
    """The order ``number`` with its items and customer's first name, or ``None``."""
    with session_scope() as session:
        order = session.execute(
            select(Order)
            .options(selectinload(Order.items), selectinload(Order.customer))
            .where(Order.number == number)
        ).scalar_one_or_none()
        return _view(order) if order else None


class ChangeOutcome(Enum):
    """Result of a change asked on an order."""

    DONE = "done"
    UNKNOWN_ORDER = "unknown_order"
    ALREADY_SHIPPED = "already_shipped"  # shipped, in transit or delivered
    ALREADY_CANCELLED = "already_cancelled"


_CHANGEABLE = "preparing"  # only an order not yet shipped can be changed


def _change(number: str, **values: str) -> ChangeOutcome:
    """Applies ``values`` to the order if it is still being prepared, atomically."""
    with session_scope() as session:
        changed = session.execute(
            update(Order).where(Order.number == number, Order.status == _CHANGEABLE).values(**values)
        ).rowcount
        if changed:
            return ChangeOutcome.DONE
        status = session.execute(select(Order.status).where(Order.number == number)).scalar_one_or_none()
    return change_outcome(status)


def change_outcome(status: Optional[str]) -> ChangeOutcome:
    """Whether an order in ``status`` (``None``: unknown order) can still be changed, or why not."""
    if status is None:
        return ChangeOutcome.UNKNOWN_ORDER
    if status == _CHANGEABLE:
        return ChangeOutcome.DONE
    return ChangeOutcome.ALREADY_CANCELLED if status == "cancelled" else ChangeOutcome.ALREADY_SHIPPED


def cancel_order(number: str) -> ChangeOutcome:
    """Cancels an order that has not left the warehouse."""
    return _change(number, status="cancelled")


def change_address(number: str, street: str, postcode: str, city: str) -> ChangeOutcome:
    """Sets a new delivery address on an order not yet shipped.

    Raises ``ValueError`` when a part is malformed (the form validates before).
    """
    street, city = street.strip(), city.strip()
    if not (addresses.valid_street(street) and addresses.valid_postcode(postcode)
            and addresses.valid_city(city)):
        raise ValueError("malformed address")
    return _change(number, shipping_street=street, shipping_postcode=postcode, shipping_city=city)
