"""The returns system: the shop's return policy, returns (RMA) and refunds.

Policy: an item can be returned within ``return_window_days()`` days after delivery.
A damaged, defective or wrong item is returned free of charge and handled first.
One return per order line: asking twice, even in two racing requests, gives back
the existing return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from actions import policies
from actions.db import session_scope
from actions.models import Order, OrderItem, Return

RETURN_OFFSET = 100000  # RET-100001 is the first return
REASONS = ("wrong_size", "not_as_described", "damaged", "changed_mind", "wrong_item")
FREE_REASONS = frozenset({"damaged", "wrong_item"})  # the shop's fault: free and priority
CHOICE_REASONS = frozenset({"wrong_size", "changed_mind"})  # the customer's choice: item must be intact


def return_window_days() -> int:
    """Days after delivery to return an item (knowledge/policies.yml, read when it changes)."""
    return policies.number("return_window_days")


def refund_delay_days() -> int:
    """Days to refund once the parcel is received back (knowledge/policies.yml)."""
    return policies.number("refund_delay_days")


class ReturnDecision(Enum):
    """What the policy says about returning an item now."""

    ALLOWED = "allowed"
    ALLOWED_FREE = "allowed_free"  # damaged, defective or wrong item: free and priority
    NOT_DELIVERED = "not_delivered"
    OUTSIDE_WINDOW = "outside_window"
    NOT_INTACT = "not_intact"  # worn or damaged by the customer, returned by choice


@dataclass(frozen=True)
class ReturnView:
    """A return as the customer may hear about it."""

    number: str
    order_number: str
    product: str
    status: str
    reason: str
    free_return: bool
    priority: bool
    created_at: date
    received_at: Optional[date]
    refund_amount: Optional[Decimal]
    refunded_at: Optional[date]
    amount: Decimal
    existing: bool = False  # True when the customer had already asked

    @property
    def expected_refund(self) -> Optional[date]:
        """When the refund should arrive, once the parcel is back."""
        if self.refunded_at or not self.received_at:
            return None
        return self.received_at + timedelta(days=refund_delay_days())


@dataclass(frozen=True)
class OrderLine:
    """One item of an order, and its return if one is registered."""

    item_id: int
    product: str
    amount: Decimal
    return_number: Optional[str]


def decide(delivered_at: Optional[date], reason: str, today: Optional[date] = None,
           intact: bool = True) -> ReturnDecision:
    """Applies the return policy to an order line delivered on ``delivered_at``.

    With ``reason=""`` (not known yet) only the dates are checked.
    """
    if delivered_at is None:
        return ReturnDecision.NOT_DELIVERED
    if ((today or date.today()) - delivered_at).days > return_window_days():
        return ReturnDecision.OUTSIDE_WINDOW
    if reason in FREE_REASONS:
        return ReturnDecision.ALLOWED_FREE
    if reason in CHOICE_REASONS and not intact:
        return ReturnDecision.NOT_INTACT
    return ReturnDecision.ALLOWED


def order_lines(order_number: str) -> list[OrderLine]:
    """The items of an order, in order, each with its return number if any."""
    with session_scope() as session:
        rows = session.execute(
            select(OrderItem, Return.number)
            .join(Order, OrderItem.order_id == Order.id)
            .outerjoin(Return, Return.item_id == OrderItem.id)
            .where(Order.number == order_number).order_by(OrderItem.id)
        ).all()
        return [OrderLine(item.id, item.product_name, item.unit_price * item.quantity, number)
                for item, number in rows]


def _view(ret: Return, existing: bool = False) -> ReturnView:
    return ReturnView(
        number=ret.number, order_number=ret.order.number, product=ret.item.product_name,
        status=ret.status, reason=ret.reason, free_return=ret.free_return, priority=ret.priority,
        created_at=ret.created_at, received_at=ret.received_at, refund_amount=ret.refund_amount,
        refunded_at=ret.refunded_at, amount=ret.item.unit_price * ret.item.quantity, existing=existing,
    )


def _existing(item_id: int) -> Optional[ReturnView]:
    with session_scope() as session:
        ret = session.execute(select(Return).where(Return.item_id == item_id)).scalar_one_or_none()
        return _view(ret, existing=True) if ret else None


def create_return(order_number: str, item_id: int, reason: str, opened: bool, intact: bool,
                  today: Optional[date] = None) -> ReturnView:
    """Registers the return of one order line, or gives back the one that exists.

    Raises ``ValueError`` for an unknown reason or an item not in the order; the
    caller checks the policy (``decide``) first.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown return reason {reason!r}")
    existing = _existing(item_id)
    if existing:
        return existing
    free = reason in FREE_REASONS
    try:
        with session_scope() as session:
            item = session.execute(
                select(OrderItem).join(Order).where(OrderItem.id == item_id, Order.number == order_number)
            ).scalar_one_or_none()
            if item is None:
                raise ValueError("this item is not part of this order")
            ret = Return(order_id=item.order_id, item_id=item.id, status="registered", reason=reason,
                         opened=opened, intact=intact, free_return=free, priority=free,
                         created_at=today or date.today())
            session.add(ret)
            session.flush()  # the unique item_id makes a racing twin fail here
            ret.number = f"RET-{RETURN_OFFSET + ret.id}"
            session.flush()
            return _view(ret)
    except IntegrityError:
        existing = _existing(item_id)
        if existing is None:
            raise
        return existing


def find_return(number: str) -> Optional[ReturnView]:
    """The return ``RET-…``, or ``None``."""
    with session_scope() as session:
        ret = session.execute(select(Return).where(Return.number == number)).scalar_one_or_none()
        return _view(ret) if ret else None


def returns_of_order(order_number: str) -> list[ReturnView]:
    """Every return registered for an order, oldest first."""
    with session_scope() as session:
        rows = session.execute(
            select(Return).join(Order, Return.order_id == Order.id)
            .where(Order.number == order_number).order_by(Return.id)
        ).scalars()
        return [_view(ret) for ret in rows]
