"""The retention job: forget the conversations older than N days.

A conversation is older than N days when its last event in the tracker store is. The
project's rows of a conversation the tracker store no longer has (deleted by an earlier
run, or never saved there) are judged by their own date. Forgetting keeps the statistics
(``forget.forget`` with ``keep_statistics``): ratings, handoffs and tickets are anonymised,
the rest deleted. Proactive-message records without a conversation go by their date.
Opt-outs, orders, returns and customers are kept.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Optional, Set

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from actions.outreach_models import ProactiveMessage
from privacy.forget import ALIAS_PREFIX, DATED, chunks, forget, present
from privacy.report import Report
from privacy.stores import PrivacyError, Stores, open_stores
from trainers.tracker_source import EVENTS

ENV_DAYS = "RETENTION_DAYS"
DEFAULT_DAYS = 365
KEPT = {
    "notification_optouts": "le « stop » du client reste respecté",
    "orders, order_items, returns, customers": "les pièces de la boutique, pas celles de la conversation",
}


def days_from_env(value: Optional[str] = None) -> int:
    """``RETENTION_DAYS`` (whole days, at least 1), else ``DEFAULT_DAYS``."""
    text = (os.environ.get(ENV_DAYS, "") if value is None else value).strip()
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or int(text) < 1:
        raise PrivacyError(f"{ENV_DAYS} must be a whole number of days, at least 1 (not {text!r})")
    return int(text)


def _old_in_tracker(stores: Stores, cutoff: float) -> Set[str]:
    query = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(
        func.max(EVENTS.c.timestamp) < cutoff)
    return set(stores.tracker.execute(query).scalars())


def _old_in_project(stores: Stores, cutoff: float, cutoff_date: datetime) -> Set[str]:
    """Conversations with an old row in the project's tables and no recent event in the tracker store."""
    candidates: Set[str] = set()
    for model in present(stores.shop_tables, *DATED):
        query = select(model.conversation_id).distinct().where(
            DATED[model] < cutoff_date, model.conversation_id.is_not(None),
            model.conversation_id.not_like(f"{ALIAS_PREFIX}%"))
        candidates.update(stores.shop.execute(query).scalars())
    recent: Set[str] = set()
    for chunk in chunks(candidates):
        recent.update(stores.tracker.execute(select(EVENTS.c.sender_id).distinct().where(
            EVENTS.c.sender_id.in_(chunk), EVENTS.c.timestamp >= cutoff)).scalars())
    return candidates - recent


def run_retention(days: int, dry_run: bool = False, tracker_url: Optional[str] = None,
                  shop: Optional[Engine] = None, now: Optional[float] = None) -> Report:
    """Forgets the conversations whose last event is more than ``days`` days old."""
    if days < 1:
        raise PrivacyError("--days must be at least 1")
    cutoff = (time.time() if now is None else now) - days * 86400
    cutoff_date = datetime.utcfromtimestamp(cutoff)
    with open_stores(tracker_url, shop, dry_run) as stores:
        old = _old_in_tracker(stores, cutoff) | _old_in_project(stores, cutoff, cutoff_date)
        changes = forget(stores.tracker, stores.shop, stores.shop_tables, old, keep_statistics=True,
                         unless_since=cutoff)
        if present(stores.shop_tables, ProactiveMessage):
            changes.deleted[ProactiveMessage.__tablename__] += stores.shop.execute(
                delete(ProactiveMessage).where(ProactiveMessage.conversation_id.is_(None),
                                               ProactiveMessage.created_at < cutoff_date)
                .execution_options(synchronize_session=False)).rowcount
    scope = {"days": days, "before": cutoff_date.replace(microsecond=0).isoformat() + "Z"}
    return Report.of("retention", changes, dry_run, scope, dict(KEPT))
