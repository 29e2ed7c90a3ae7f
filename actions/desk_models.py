"""Tables of the agent desk: the handoff queue and the advisors' sessions.

The action server writes a ``Handoff`` when it hands a conversation over; the desk
(``desk/``) reads the queue, assigns it, closes it. Both reach the same database
through ``actions.db``, so a restart of either loses nothing. Dates are naive UTC.

``actions.seed`` creates these tables only when this module has been imported.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text

from actions.models import Base

WAITING, TAKEN, CLOSED = "waiting", "taken", "closed"


class Handoff(Base):
    """A conversation handed to the advisors: waiting, taken by one advisor, closed."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id"), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    # customer_request | upset_customer | not_understood | identity_check_failed | offered
    reason = Column(String(40), nullable=False)
    status = Column(String(10), nullable=False, default=WAITING, index=True)
    advisor = Column(String(64))  # username of the advisor who took it
    summary = Column(Text, nullable=False)  # JSON: request, email, order, last messages
    created_at = Column(DateTime, nullable=False)
    taken_at = Column(DateTime)
    closed_at = Column(DateTime)


class AdvisorSession(Base):
    """A signed-in advisor. Only the SHA-256 of the cookie's token is kept."""

    __tablename__ = "advisor_sessions"

    token_hash = Column(String(64), primary_key=True)
    username = Column(String(64), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    last_seen = Column(DateTime, nullable=False, index=True)  # online = seen recently
    expires_at = Column(DateTime, nullable=False)


class LoginFailure(Base):
    """A failed desk login, counted to slow down password guessing."""

    __tablename__ = "advisor_login_failures"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, index=True)
    at = Column(DateTime, nullable=False, index=True)
