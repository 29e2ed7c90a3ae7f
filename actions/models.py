"""Tables of the shop's systems that Colibri reads and writes.

Orders and customers stand for the shop's order and account systems, returns for
the returns system, tickets for the advisors' queue. Amounts are ``Euros``
(stored as cents); dates are naive UTC.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


class Euros(TypeDecorator):
    """An amount: ``Decimal`` euros in Python, whole cents in the database (exact everywhere)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Optional[Any], dialect: Any) -> Optional[int]:
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: Optional[int], dialect: Any) -> Optional[Decimal]:
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


class Customer(Base):
    """A customer account."""

    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    first_name = Column(String(80), nullable=False)
    last_name = Column(String(80), nullable=False)
    email = Column(String(254), nullable=False, unique=True, index=True)
    phone = Column(String(20))
    account_status = Column(String(20), nullable=False, default="active")
    failed_logins = Column(Integer, nullable=False, default=0)

    orders = relationship("Order", back_populates="customer")


class Order(Base):
    """An order and its delivery."""

    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    number = Column(String(8), nullable=False, unique=True, index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False)
    # preparing | shipped | in_transit | delivered | cancelled
    status = Column(String(20), nullable=False)
    ordered_at = Column(Date, nullable=False)
    shipped_at = Column(Date)
    expected_delivery = Column(Date)
    delivered_at = Column(Date)
    carrier = Column(String(40))
    tracking_number = Column(String(13))
    incident = Column(Text)
    shipping_street = Column(String(200), nullable=False)
    shipping_postcode = Column(String(5), nullable=False)
    shipping_city = Column(String(100), nullable=False)

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")


class OrderItem(Base):
    """One line of an order."""

    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    product_name = Column(String(120), nullable=False)
    quantity = Column(Integer, nullable=False, default=1)
    unit_price = Column(Euros, nullable=False)

    order = relationship("Order", back_populates="items")


class Return(Base):
    """A return (RMA) in the returns system: at most one per order line."""

    __tablename__ = "returns"

    id = Column(Integer, primary_key=True)
    # RET- + (100000 + id), set right after the insert
    number = Column(String(10), unique=True, index=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    item_id = Column(ForeignKey("order_items.id"), nullable=False, unique=True)
    # registered | received | refunded
    status = Column(String(20), nullable=False)
    # wrong_size | not_as_described | damaged | changed_mind | wrong_item
    reason = Column(String(40), nullable=False)
    opened = Column(Boolean)
    intact = Column(Boolean)
    free_return = Column(Boolean, nullable=False, default=False)
    priority = Column(Boolean, nullable=False, default=False)
    created_at = Column(Date, nullable=False)
    received_at = Column(Date)
    refund_amount = Column(Euros)
    refunded_at = Column(Date)

    order = relationship("Order")
    item = relationship("OrderItem")


class Ticket(Base):
    """A request for the advisors: handoff, investigation, callback, written answer."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    number = Column(String(10), unique=True, index=True)
    # handoff | investigation | callback | email
    kind = Column(String(20), nullable=False)
    reason = Column(String(40), nullable=False)
    # open | done
    status = Column(String(20), nullable=False, default="open")
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(40))
    order_number = Column(String(8))
    email = Column(String(254))
    transcript = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)
    phone = Column(String(20))  # callbacks: E.164, e.g. +33612345678
    slot = Column(String(20))  # callbacks: matin | apres-midi | soir
    question = Column(Text)  # written answers: what the customer asked
    done_at = Column(DateTime)
    done_by = Column(String(64))  # the advisor who marked it done
