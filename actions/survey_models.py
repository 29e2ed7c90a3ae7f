"""The satisfaction survey's table: one row per rating a customer gave (CSAT).

Colibri asks for a 1–5 rating after a resolved request or after an advisor handed
back (actions/satisfaction.py); the optional comment comes with the next message.
The KPI report (kpi/) reads this table with the handoffs. Dates are naive UTC.

``actions.seed`` creates this table only when this module has been imported.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text

from actions.models import Base

# What the rating is about: the request Colibri resolved, or the advisor's help.
# "general": a rating given without being asked.
REQUESTS = ("order_tracking", "return", "cancellation", "faq", "delivery", "handoff", "general")


class SatisfactionRating(Base):
    """A customer's rating of one resolved request, with an optional comment."""

    __tablename__ = "satisfaction_ratings"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)  # Rasa's sender id
    channel = Column(String(40), nullable=False)  # rest | socketio | facebook | ...
    request = Column(String(40), nullable=False)  # one of REQUESTS
    rating = Column(Integer, nullable=False)  # 1 (très déçu) … 5 (très satisfait)
    comment = Column(Text)  # the customer's words after the rating, if any
    handoff_id = Column(ForeignKey("handoffs.id"), index=True)  # when request == "handoff"
    created_at = Column(DateTime, nullable=False, index=True)
