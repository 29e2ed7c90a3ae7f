"""Tables for writing to customers first: where to reach them, who said stop, what was sent.

- ``CustomerConversation``: a conversation in which a customer proved who they are
  (order number + e-mail), with its channel; the latest one is where Colibri writes.
- ``NotificationOptOut``: customers who said « stop » to Colibri's own messages.
- ``ProactiveMessage``: each message the shop asked Colibri to send, sent or skipped
  and why (the same order is never notified twice).
- ``PendingReminder``: the return reminder of a conversation, until it is sent or cancelled.

Dates are naive UTC. ``actions.seed`` creates these tables once this module is imported.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, UniqueConstraint

from actions.models import Base

SENT, SKIPPED, FAILED = "sent", "skipped", "failed"


class CustomerConversation(Base):
    """A conversation where the customer was identified, and when it was last seen."""

    __tablename__ = "customer_conversations"
    __table_args__ = (UniqueConstraint("customer_id", "conversation_id"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)  # Rasa's sender id
    channel = Column(String(40), nullable=False)
    last_seen = Column(DateTime, nullable=False, index=True)


class NotificationOptOut(Base):
    """A customer who asked Colibri not to write first any more."""

    __tablename__ = "notification_optouts"

    customer_id = Column(ForeignKey("customers.id"), primary_key=True)
    created_at = Column(DateTime, nullable=False)


class ProactiveMessage(Base):
    """One message the shop's systems asked for: sent, skipped (with the reason) or failed."""

    __tablename__ = "proactive_messages"

    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)  # order_delivered
    order_number = Column(String(20), nullable=False, index=True)
    customer_id = Column(ForeignKey("customers.id"), index=True)
    conversation_id = Column(String(255))
    channel = Column(String(40))
    status = Column(String(10), nullable=False)  # sent | skipped | failed
    reason = Column(String(60))  # why skipped or failed
    created_at = Column(DateTime, nullable=False)


class PendingReminder(Base):
    """A return reminder Rasa scheduled, kept here so that it is sent even when the Rasa
    server holding it in memory is gone (``proactive.reminders``)."""

    __tablename__ = "pending_reminders"

    conversation_id = Column(String(255), primary_key=True)  # one reminder per conversation, as in Rasa
    order_number = Column(String(20))
    due_at = Column(DateTime, nullable=False, index=True)
    claimed_at = Column(DateTime)  # a web server asked Rasa to send it (its server was gone)
    sent_at = Column(DateTime)  # action_remind_return ran for it: never twice
