"""The account system's links: unlock an account, reset a password, by e-mail.

``request_link`` answers the same whether or not the address has an account: a known
address gets an e-mail with a single-use link, an unknown one gets nothing. Every
request counts towards two limits, ``MAX_REQUESTS_PER_HOUR`` per address and per
conversation; past them nothing is written and nothing is sent.

``use_link`` spends a link once (a conditional UPDATE, so two racing uses give one
success) and, for an unlock link, unlocks the account.

Only hashes of tokens and addresses are stored; neither addresses nor tokens are
logged. Dates are naive UTC.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Optional
from urllib.parse import quote

from sqlalchemy import delete, func, select, update

# importing account_models registers its tables with Base.metadata, so seed() creates them
from actions.account_models import PURPOSES, AccountLink, LinkRequest
from actions.db import session_scope
from actions.mailer import MailUnavailable, send_mail
from actions.models import Customer

__all__ = [
    "LINK_LIFETIME", "MAX_REQUESTS_PER_HOUR", "PURPOSES", "SHOP_URL", "LinkOutcome",
    "MailUnavailable", "hash_email", "hash_token", "link_url", "request_link", "use_link",
]

logger = logging.getLogger(__name__)

SHOP_URL = (os.environ.get("SHOP_URL") or "http://localhost:8080").rstrip("/")
LINK_PATHS = {"unlock": "/compte/debloquer", "reset": "/compte/mot-de-passe"}
LINK_LIFETIME = {"unlock": timedelta(hours=1), "reset": timedelta(minutes=30)}
MAX_REQUESTS_PER_HOUR = 3  # per address, and per conversation
RATE_WINDOW = timedelta(hours=1)


class LinkOutcome(Enum):
    """What to tell the customer after a request for a link."""

    SENT_OR_SILENT = "sent_or_silent"  # "if this address has an account, a link is on its way"
    RATE_LIMITED = "rate_limited"  # too many requests in the last hour: nothing was sent


def hash_email(email: str) -> str:
    """SHA-256 hex of the trimmed, lower-cased address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def hash_token(token: str) -> str:
    """SHA-256 hex of a link's token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(purpose: str, token: str) -> str:
    """The shop's page that spends the link."""
    return f"{SHOP_URL}{LINK_PATHS[purpose]}?token={quote(token, safe='')}"


def _utc(now: Optional[datetime]) -> datetime:
    """``now`` as a naive UTC datetime (the current time by default)."""
    if now is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(timezone.utc).replace(tzinfo=None)
    return now


def _lifetime_words(lifetime: timedelta) -> str:
    minutes = int(lifetime.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} heure" if hours == 1 else f"{hours} heures"
    return f"{minutes} minutes"


def _mail(purpose: str, first_name: str, url: str) -> tuple[str, str]:
    """Subject and body of the e-mail carrying the link."""
    lifetime = _lifetime_words(LINK_LIFETIME[purpose])
    if purpose == "unlock":
        subject = "Débloquez votre compte Colibri"
        action = "débloquer votre compte Colibri"
        click = "Pour le débloquer et vous connecter, cliquez simplement sur ce lien :"
    else:
        subject = "Choisissez un nouveau mot de passe Colibri"
        action = "réinitialiser le mot de passe de votre compte Colibri"
        click = "Pour choisir un nouveau mot de passe, cliquez simplement sur ce lien :"
    body = (
        f"Bonjour {first_name},\n\n"
        f"Vous nous avez demandé de {action}. {click}\n\n"
        f"{url}\n\n"
        f"Ce lien est valable {lifetime} et ne fonctionne qu'une seule fois.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : "
        "votre compte reste protégé et rien ne change.\n\n"
        "À très bientôt,\n"
        "Le service client Colibri\n"
    )
    return subject, body


def _lock_key(value: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``."""
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:8], "big", signed=True)


def request_link(email: str, purpose: str, conversation_id: str,
                 now: Optional[datetime] = None) -> LinkOutcome:
    """Sends an unlock or reset link to ``email`` if it has an account, within the limits.

    Raises ``MailUnavailable`` (after removing the link) when the e-mail cannot be
    sent, and ``ValueError`` for an unknown purpose or an empty address.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose: {purpose!r}")
    address = (email or "").strip().lower()
    if not address:
        raise ValueError("empty e-mail address")
    conversation_id = (conversation_id or "")[:255]
    now = _utc(now)
    email_hash = hash_email(address)
    # A token and its hash for every request, known address or not, so that unknown
    # addresses do the same work (only the e-mail itself is extra for known ones).
    token = secrets.token_urlsafe(32)
    token_hash = hash_token(token)

    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Serialises racing requests for one address or one conversation, so that
            # they cannot all pass the count below; sorted to avoid deadlocks.
            for key in sorted({_lock_key("email:" + email_hash), _lock_key("conv:" + conversation_id)}):
                session.execute(select(func.pg_advisory_xact_lock(key)))
        since = now - RATE_WINDOW
        by_address = session.execute(
            select(func.count(LinkRequest.id))
            .where(LinkRequest.email_hash == email_hash, LinkRequest.created_at > since)
        ).scalar_one()
        by_conversation = session.execute(
            select(func.count(LinkRequest.id))
            .where(LinkRequest.conversation_id == conversation_id, LinkRequest.created_at > since)
        ).scalar_one()
        if by_address >= MAX_REQUESTS_PER_HOUR or by_conversation >= MAX_REQUESTS_PER_HOUR:
            logger.info("link request refused: rate limit (%s)", purpose)
            return LinkOutcome.RATE_LIMITED
        session.add(LinkRequest(email_hash=email_hash, conversation_id=conversation_id,
                                purpose=purpose, created_at=now))
        customer = session.execute(
            select(Customer.id, Customer.first_name).where(Customer.email == address)
        ).one_or_none()
        link_id: Optional[int] = None
        if customer is not None:
            link = AccountLink(customer_id=customer.id, purpose=purpose, token_hash=token_hash,
                               created_at=now, expires_at=now + LINK_LIFETIME[purpose])
            session.add(link)
            session.flush()
            link_id = link.id
        else:
            session.flush()

    if customer is None:
        logger.info("link request for an address without an account (%s)", purpose)
        return LinkOutcome.SENT_OR_SILENT

    subject, body = _mail(purpose, customer.first_name, link_url(purpose, token))
    try:
        send_mail(address, subject, body)
    except MailUnavailable:
        _discard_link(link_id)
        raise
    logger.info("%s link %s sent", purpose, link_id)
    return LinkOutcome.SENT_OR_SILENT


def _discard_link(link_id: Optional[int]) -> None:
    """Removes a link whose e-mail was not sent (nobody has its token anyway)."""
    try:
        with session_scope() as session:
            session.execute(delete(AccountLink).where(AccountLink.id == link_id))
    except Exception:  # noqa: BLE001 - the mail error matters more; the token was never sent
        logger.exception("could not remove the unsent link %s", link_id)


def use_link(token: str, purpose: str, now: Optional[datetime] = None) -> bool:
    """Spends a link: True once for a valid, unexpired, unused token of this purpose.

    For an unlock link, also makes the account active again with no failed logins.
    """
    if purpose not in PURPOSES or not isinstance(token, str) or not token or len(token) > 200:
        return False
    now = _utc(now)
    token_hash = hash_token(token)
    with session_scope() as session:
        spent = session.execute(
            update(AccountLink)
            .where(AccountLink.token_hash == token_hash, AccountLink.purpose == purpose,
                   AccountLink.used_at.is_(None), AccountLink.expires_at > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:
            logger.info("%s link refused: unknown, expired, already used or of another purpose", purpose)
            return False
        customer_id = session.execute(
            select(AccountLink.customer_id).where(AccountLink.token_hash == token_hash)
        ).scalar_one()
        if purpose == "unlock":
            session.execute(
                update(Customer).where(Customer.id == customer_id)
                .values(account_status="active", failed_logins=0)
                .execution_options(synchronize_session=False)
            )
    logger.info("%s link used for customer %s", purpose, customer_id)
    return True
