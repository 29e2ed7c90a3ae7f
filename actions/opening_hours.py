"""The advisors' opening hours (``knowledge/policies.yml``): open now? and in words.

Three lines of the policies file give the hours, Paris time: ``advisor_hours_weekdays``
(Monday to Friday), ``advisor_hours_saturday`` and ``advisor_hours_sunday``, each
``HH:MM-HH:MM`` or ``fermé``. ``24:00`` ends a day that runs until midnight.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Dict, Optional, Tuple
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("advisor_hours_weekdays", "advisor_hours_saturday", "advisor_hours_sunday")
CLOSED = {"ferme", "fermé", "closed", ""}
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
Range = Optional[Tuple[int, int]]  # minutes since midnight, [start, end)


class HoursError(ValueError):
    """An opening-hours line that is neither ``HH:MM-HH:MM`` nor ``fermé``."""


def parse(name: str, text: str) -> Range:
    """``"09:00-19:00"`` → (540, 1140); ``"fermé"`` → None."""
    if text.strip().lower() in CLOSED:
        return None
    match = _RANGE.fullmatch(text.strip())
    if not match:
        raise HoursError(f"'{name}' must be HH:MM-HH:MM or 'fermé', not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or not 0 <= start < end <= 24 * 60:
        raise HoursError(f"'{name}': {text!r} is not a range within one day")
    return start, end


def _day_key(moment: datetime) -> str:
    weekday = moment.weekday()
    return DAYS[0] if weekday < 5 else DAYS[1] if weekday == 5 else DAYS[2]


def is_open(values: Dict[str, str], now: Optional[datetime] = None) -> bool:
    """Whether the advisors work at ``now`` (default: this instant), Paris time."""
    local = (now or datetime.now(timezone.utc)).astimezone(PARIS)
    hours = parse(_day_key(local), values.get(_day_key(local), ""))
    minute = local.hour * 60 + local.minute
    return hours is not None and hours[0] <= minute < hours[1]


def _clock(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    return f"{hour} h" if not minute else f"{hour} h {minute:02d}"


def describe(values: Dict[str, str]) -> str:
    """« du lundi au vendredi de 9 h à 19 h, et le samedi de 10 h à 17 h »."""
    names = {DAYS[0]: "du lundi au vendredi", DAYS[1]: "le samedi", DAYS[2]: "le dimanche"}
    parts = []
    for key in DAYS:
        hours = parse(key, values.get(key, ""))
        if hours:
            parts.append(f"{names[key]} de {_clock(hours[0])} à {_clock(hours[1])}")
    if not parts:
        return "sur rendez-vous uniquement"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", et " + parts[-1]



