"""The period and channel of a report, and how it is cut into weeks, months and quarters.

Days are those of Paris (``TIMEZONE``): a conversation belongs to the day of its first
customer message, Paris time. ``--from`` and ``--to`` are both included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import List, Optional
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Paris")
CHANNELS = ("rest", "socketio", "facebook")  # Rasa's ``input_channel`` of each channel
DEFAULT_DAYS = 30  # without --from: the last 30 days up to --to
WEEKLY_UP_TO_DAYS = 62  # charts per week up to this length, per month beyond
MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
             "déc.")


class PeriodError(ValueError):
    """A period or channel the report cannot use; the message is for the user."""


class Days:
    """Days ``start`` to ``end``, both included, as Unix times (Paris days)."""

    start: date
    end: date

    @property
    def since(self) -> float:
        """Unix time of the first instant (midnight starting ``start``)."""
        return epoch(self.start)

    @property
    def until(self) -> float:
        """Unix time just after the last day (midnight after ``end``)."""
        return epoch(self.end + timedelta(days=1))

    def contains(self, timestamp: float) -> bool:
        """Whether a Unix time falls on one of the days."""
        return self.since <= timestamp < self.until


@dataclass(frozen=True)
class Bucket(Days):
    """A week, month or quarter of the period, clipped to it."""

    key: str  # 2026-11, 2026-T4, or the Monday of the week: 2026-11-02
    label: str  # in French: « nov. 2026 », « T4 2026 », « sem. du 02/11 » (its first day in the period)
    start: date
    end: date  # included

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "start": self.start.isoformat(),
                "end": self.end.isoformat()}


def parse_day(value: str, option: str) -> date:
    """``AAAA-MM-JJ``; a ``PeriodError`` naming ``option`` otherwise."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"{option} : date invalide {value!r} (format attendu AAAA-MM-JJ)") from None


def epoch(day: date) -> float:
    """The Unix time of midnight, Paris time, at the start of ``day``."""
    return datetime.combine(day, time(0), TIMEZONE).timestamp()


def day_of(timestamp: float) -> date:
    """The day in Paris of a Unix time."""
    return datetime.fromtimestamp(timestamp, TIMEZONE).date()


def utc_naive(timestamp: float) -> datetime:
    """A Unix time as the naive UTC datetimes of the shop's database."""
    return datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)


def from_utc_naive(moment: datetime) -> float:
    """A naive UTC datetime of the shop's database as a Unix time."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class Period(Days):
    """Days ``start`` to ``end`` (both included), for one channel or all (``None``)."""

    start: date
    end: date
    channel: Optional[str] = None

    @classmethod
    def parse(cls, start: Optional[str] = None, end: Optional[str] = None, channel: Optional[str] = None,
              today: Optional[date] = None) -> Period:
        """From the CLI's or the API's strings; empty values take the defaults."""
        last = parse_day(end, "--to") if end else (today or datetime.now(TIMEZONE).date())
        first = parse_day(start, "--from") if start else last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise PeriodError(f"--from ({first.isoformat()}) est après --to ({last.isoformat()})")
        name = (channel or "").strip().lower() or None
        if name in ("all", "tous"):
            name = None
        if name is not None and name not in CHANNELS:
            raise PeriodError(f"canal inconnu {channel!r} (canaux : {', '.join(CHANNELS)})")
        return cls(first, last, name)

    @property
    def granularity(self) -> str:
        """``week`` for short periods, ``month`` otherwise: the charts' steps."""
        return "week" if (self.end - self.start).days + 1 <= WEEKLY_UP_TO_DAYS else "month"

    def buckets(self, granularity: Optional[str] = None) -> List[Bucket]:
        """The period cut into ``week``, ``month`` or ``quarter`` steps (default: ``granularity``)."""
        step = {"week": _week, "month": _month, "quarter": _quarter}[granularity or self.granularity]
        buckets, day = [], self.start
        while day <= self.end:
            bucket = step(day)
            start = max(bucket.start, self.start)
            label = f"sem. du {start:%d/%m}" if step is _week else bucket.label
            buckets.append(Bucket(bucket.key, label, start, min(bucket.end, self.end)))
            day = bucket.end + timedelta(days=1)
        return buckets

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "channel": self.channel,
                "timezone": str(TIMEZONE), "granularity": self.granularity}


def _week(day: date) -> Bucket:
    monday = day - timedelta(days=day.weekday())
    return Bucket(monday.isoformat(), f"sem. du {monday:%d/%m}", monday, monday + timedelta(days=6))


def _month(day: date) -> Bucket:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Bucket(f"{first:%Y-%m}", f"{MONTHS_FR[first.month - 1]} {first.year}", first,
                  following - timedelta(days=1))


def _quarter(day: date) -> Bucket:
    number = (day.month - 1) // 3 + 1
    first = date(day.year, 3 * number - 2, 1)
    last = _month(date(day.year, 3 * number, 1)).end
    return Bucket(f"{day.year}-T{number}", f"T{number} {day.year}", first, last)

