"""Tables of the account links: unlock and password-reset links, and who asked for them.

Only hashes are stored: the SHA-256 of each link's token (the token itself exists only
in the e-mail) and the SHA-256 of the lower-cased address that asked (so unknown
addresses are rate-limited too without being kept). Dates are naive UTC.

``actions.seed`` creates these tables only when this module has been imported
(``actions.accounts`` imports it).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from actions.models import Base

PURPOSES = ("unlock", "reset")


class AccountLink(Base):
    """A single-use link sent by e-mail: unlock the account, or reset its password."""

    __tablename__ = "account_links"

    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    # unlock | reset
    purpose = Column(String(10), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)  # SHA-256 hex of the token
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)


class LinkRequest(Base):
    """One request for a link, known address or not: what the rate limits count."""

    __tablename__ = "link_requests"

    id = Column(Integer, primary_key=True)
    email_hash = Column(String(64), nullable=False, index=True)  # SHA-256 hex of the lower-cased address
    conversation_id = Column(String(255), nullable=False, index=True)
    # unlock | reset
    purpose = Column(String(10), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
