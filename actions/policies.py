"""The shop's policies (``knowledge/policies.yml``): the one place for delays, fees and hours.

The FAQ answers fill their ``{placeholders}`` from it, and the return policy reads
its numbers from it, so a shop manager changes a value in one line. Another file
can be used with ``SHOP_POLICIES=/path/to/policies.yml``.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime
from pathlib import Path
from typing import Dict, Optional

import yaml

from actions import opening_hours

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "policies.yml"
NUMBERS = ("return_window_days", "refund_delay_days")  # used in calculations, not only in words


class PolicyError(ValueError):
    """The policies file is missing a value or has one that cannot be used."""


def _path() -> Path:
    return Path(os.environ.get("SHOP_POLICIES") or DEFAULT_PATH)


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> Dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected one 'name: value' per line")
    values = {str(key): str(value).strip() for key, value in data.items() if value is not None}
    for name in NUMBERS:
        if not values.get(name, "").isdigit():
            raise PolicyError(f"{path}: '{name}' must be a whole number")
    try:  # the advisors' hours in words, for the answers, from the same lines as the handoff
        values.setdefault("advisor_hours", opening_hours.describe(values))
    except opening_hours.HoursError as error:
        raise PolicyError(f"{path}: {error}") from None
    return values


def all_values() -> Dict[str, str]:
    """Every policy value, as text for the answers (re-read when the file changes)."""
    path = _path()
    return _load(path, path.stat().st_mtime)


def advisors_working(now: Optional[datetime] = None) -> bool:
    """Whether ``now`` is within the advisors' opening hours."""
    return opening_hours.is_open(all_values(), now)


def number(name: str) -> int:
    """A policy value used in calculations (``NUMBERS``)."""
    return int(all_values()[name])
