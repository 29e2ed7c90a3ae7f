"""The shop's customers' first and last names, to mask them wherever they appear.

Optional: read from ``DATABASE_URL`` (or the demo database under ``var/``) when it
is reachable; without it, only names introduced by a phrase or a title are masked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import FrozenSet, Iterable, Optional, Set, Tuple

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from actions.models import Customer
from actions.normalise import fold
from actions.settings import DEFAULT_DATABASE_URL
from trainers.readonly_db import InboxError, read_only_engine

_PARTICLES = frozenset("de du des la le les d l van von der den di da".split())
MIN_LENGTH = 3  # shorter parts (« Li », « Jo ») are too often ordinary words


@dataclass(frozen=True)
class KnownNames:
    """Accent-folded, lower-case parts of the customers' names."""

    first: FrozenSet[str] = frozenset()
    last: FrozenSet[str] = frozenset()
    customers: int = 0

    @classmethod
    def from_pairs(cls, pairs: Iterable[Tuple[Optional[str], Optional[str]]]) -> KnownNames:
        """From ``(first_name, last_name)`` pairs."""
        first: Set[str] = set()
        last: Set[str] = set()
        count = 0
        for first_name, last_name in pairs:
            count += 1
            first.update(_parts(first_name))
            last.update(_parts(last_name))
        return cls(frozenset(first), frozenset(last), count)

    def is_first(self, word: str) -> bool:
        return fold(word) in self.first

    def is_last(self, word: str) -> bool:
        return fold(word) in self.last

    def knows(self, word: str) -> bool:
        return self.is_first(word) or self.is_last(word)


def _parts(name: Optional[str]) -> Set[str]:
    """« Jean-Pierre de La Tour » -> jean-pierre, jean, pierre, tour."""
    parts: Set[str] = set()
    for word in fold(name or "").replace("'", " ").split():
        for part in (word, *word.split("-")):
            if len(part) >= MIN_LENGTH and part not in _PARTICLES:
                parts.add(part)
    return parts


def load(url: Optional[str] = None) -> Optional[KnownNames]:
    """The customers' names from the shop's database, or ``None`` when it is not reachable."""
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        engine = read_only_engine(url)
    except InboxError:
        return None
    try:
        with engine.connect() as conn:
            rows = conn.execution_options(stream_results=True).execute(
                select(Customer.first_name, Customer.last_name))
            return KnownNames.from_pairs((row.first_name, row.last_name) for row in rows)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
