"""French formatting of dates, amounts and lists for the customer's eyes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Dict, Iterable, Optional
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from actions.shop import OrderView

SHOP_TIMEZONE = ZoneInfo("Europe/Paris")

_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"]


def day(value: date, today: Optional[date] = None) -> str:
    """``aujourd'hui``, ``demain``, ``hier`` or ``le mercredi 25 novembre``."""
    if isinstance(value, datetime):
        value = value.date()
    today = today or date.today()
    relative = {0: "aujourd'hui", 1: "demain", -1: "hier"}.get((value - today).days)
    if relative:
        return relative
    text = f"le {_DAYS[value.weekday()]} {value.day if value.day > 1 else '1er'} {_MONTHS[value.month - 1]}"
    return text if value.year == today.year else f"{text} {value.year}"


def day_and_time(value: datetime, today: Optional[date] = None) -> str:
    """``hier à 14 h 05``: a carrier event's moment, in the shop's time zone."""
    if value.tzinfo is not None:
        value = value.astimezone(SHOP_TIMEZONE)
    return f"{day(value.date(), today)} à {value.hour} h {value.minute:02d}"


def euros(amount: Decimal) -> str:
    """``89,90 €``."""
    return f"{amount:.2f} €".replace(".", ",")


def items(names: Iterable[str]) -> str:
    """``chaussures, robe et sac``."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} et {names[-1]}"


def order_facts(order: OrderView) -> Dict[str, str]:
    """An order's facts, worded for the responses' {placeholders}."""
    values = {
        "order_id": order.number,
        "first_name": order.first_name,
        "items": items(order.items),
        "total": euros(order.total),
        "carrier": order.carrier or "notre transporteur",
        "tracking_number": order.tracking_number or "",
        "incident": order.incident or "",
    }
    for field in ("shipped_at", "expected_delivery", "delivered_at"):
        moment = getattr(order, field)
        values[field] = day(moment) if moment else ""
    return values
