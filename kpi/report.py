"""The report: read both databases, compute the KPIs. The one function behind the CLI and the API."""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from actions import db
from kpi import events, metrics, shop
from kpi.conversations import attach
from kpi.period import Period
from trainers.readonly_db import InboxError, describe, read_only_engine
from trainers.selection import Thresholds
from trainers.tracker_source import ROOT, resolve_url


class KpiError(Exception):
    """The report cannot be made (a database out of reach, a table missing); one line for the user."""


@functools.lru_cache(maxsize=1)
def thresholds() -> Thresholds:
    """The FallbackClassifier's thresholds of config.yml (what counts as a missed message)."""
    return Thresholds.from_config(ROOT / "config.yml")


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def build(period: Period, tracker_url: Optional[str] = None,
          shop_engine: Optional[Engine] = None) -> Dict[str, Any]:
    """The report for ``period`` as plain data (JSON-ready).

    The tracker store is ``tracker_url``, else ``TRACKER_STORE_URL``, else endpoints.yml;
    the project's database is ``shop_engine``, else ``actions.db``'s (``DATABASE_URL``).
    """
    try:
        url = resolve_url(tracker_url)
        tracker = read_only_engine(url)
    except InboxError as error:
        raise KpiError(f"tracker store: {error}") from error
    try:
        history = events.read_conversations(tracker, period.since, period.until, thresholds())
    except InboxError as error:
        raise KpiError(f"tracker store {describe(url)}: {error}") from error
    finally:
        tracker.dispose()
    engine = shop_engine or db.get_engine()
    try:
        shop.check_tables(engine)
        attach(history, shop.handoffs(engine, period.since, period.until),
               shop.ratings(engine, period.since, period.until))
        names = shop.names(engine)
    except InboxError as error:
        raise KpiError(str(error)) from error
    except SQLAlchemyError as error:
        raise KpiError(f"project database {engine.url.render_as_string(hide_password=True)}: "
                       f"{type(error).__name__}: {_first_line(error)}") from error
    return metrics.compute(history, period, names)
