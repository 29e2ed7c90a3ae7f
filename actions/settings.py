"""Settings of the action server, read from the environment once."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, TypeVar

logger = logging.getLogger(__name__)
Number = TypeVar("Number", int, float)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'colibri.db'}"


@dataclass(frozen=True)
class Settings:
    """What the actions need to reach the shop's systems."""

    database_url: str
    max_failed_checks: int = 3

    @classmethod
    def from_env(cls) -> Settings:
        """Reads ``DATABASE_URL`` (SQLite file under ``var/`` by default)."""
        return cls(database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def number_from_env(name: str, value: Optional[str], default: Number, low: Number, high: Number,
                    *, low_exclusive: bool = False) -> Number:
    """``value`` (the variable ``name``) as a number of ``default``'s type within ``low``–``high``.

    Missing or empty gives ``default``; unusable (not a number, out of range, nan,
    inf) gives ``default`` with a warning naming the variable, never its value.
    """
    text = (value or "").strip()
    if not text:
        return default
    try:
        number = type(default)(text)
    except ValueError:
        number = None
    if number is None or not (low < number <= high if low_exclusive else low <= number <= high):
        logger.warning("%s is not usable (%s to %s expected); using %s", name, low, high, default)
        return default
    return number
