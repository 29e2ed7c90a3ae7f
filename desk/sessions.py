"""Desk sign-in: sessions in the database, so a restart signs nobody out.

The cookie carries a random token; the database keeps only its SHA-256. A session
ends after ``IDLE`` without activity or ``LIFETIME`` in all. After ``MAX_FAILURES``
failed logins for one username within ``FAILURE_WINDOW``, logins for it are refused
for the rest of the window (HTTP 429).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, func, select, update

from actions.db import session_scope
from actions.desk_models import AdvisorSession, LoginFailure
from desk import accounts, passwords

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=10)
SEEN_EVERY = timedelta(seconds=10)  # last_seen is written at most this often
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the username is unknown, so that the answer takes the same time
    (made at the first such login, not when the web server starts)."""
    return passwords.hash_password("not a password")


class TooManyAttempts(Exception):
    """Too many failed logins for this username: wait."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def login(username: str, password: str, now: Optional[datetime] = None) -> Optional[str]:
    """A new session token, or None for wrong credentials (TooManyAttempts when locked)."""
    now = now or datetime.utcnow()
    name = (username or "").strip().lower()[:64]
    with session_scope() as db:
        recent = db.execute(select(func.count(LoginFailure.id)).where(
            LoginFailure.username == name, LoginFailure.at > now - FAILURE_WINDOW)).scalar_one()
        if recent >= MAX_FAILURES:
            raise TooManyAttempts(name)
    advisor = accounts.find(name)
    good = passwords.verify(password or "", advisor.password_hash if advisor else _dummy_hash())
    with session_scope() as db:
        if not (advisor and good):
            db.add(LoginFailure(username=name, at=now))
            return None
        token = secrets.token_urlsafe(32)
        db.add(AdvisorSession(token_hash=_digest(token), username=advisor.username, created_at=now,
                              last_seen=now, expires_at=now + LIFETIME))
        db.execute(delete(LoginFailure).where(LoginFailure.username == name))
        db.execute(delete(AdvisorSession).where(AdvisorSession.expires_at <= now))
        return token


def advisor_for(token: Optional[str], now: Optional[datetime] = None) -> Optional[accounts.Advisor]:
    """The signed-in advisor for ``token`` (and a fresh ``last_seen``), or None."""
    if not token or len(token) > 100:
        return None
    now = now or datetime.utcnow()
    with session_scope() as db:
        row = db.get(AdvisorSession, _digest(token))
        if row is None or row.expires_at <= now or row.last_seen + IDLE <= now:
            return None
        advisor = accounts.find(row.username)
        if advisor is None:  # removed from the advisors' file: signed out
            db.delete(row)
            return None
        if now - row.last_seen >= SEEN_EVERY:
            db.execute(update(AdvisorSession).where(AdvisorSession.token_hash == row.token_hash)
                       .values(last_seen=now))
        return advisor


def logout(token: Optional[str]) -> None:
    if token:
        with session_scope() as db:
            db.execute(delete(AdvisorSession).where(AdvisorSession.token_hash == _digest(token)))
