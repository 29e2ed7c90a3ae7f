"""What the KPIs read from the project's database (``actions.db``): handoffs, ratings, names.

Only reads. Dates there are naive UTC; they become Unix times here.
"""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.desk_models import Handoff as HandoffRow
from actions.models import Customer
from actions.survey_models import SatisfactionRating
from kpi.conversations import Handoff, Rating
from kpi.period import from_utc_naive, utc_naive
from trainers.readonly_db import InboxError
from trainers.shop_names import KnownNames

TABLES = (HandoffRow.__tablename__, SatisfactionRating.__tablename__)


def check_tables(engine: Engine) -> None:
    """An ``InboxError`` when the database lacks the handoffs or ratings table."""
    present = set(inspect(engine).get_table_names())
    missing = [name for name in TABLES if name not in present]
    if missing:
        raise InboxError(f"table(s) {', '.join(missing)} missing from the project's database "
                         "(DATABASE_URL): run `make db`")


def handoffs(engine: Engine, since: float, until: float) -> List[Handoff]:
    """Handoffs created from ``since`` to just before ``until``."""
    query = select(HandoffRow.conversation_id, HandoffRow.created_at, HandoffRow.reason).where(
        HandoffRow.created_at >= utc_naive(since), HandoffRow.created_at < utc_naive(until))
    with Session(engine, future=True) as session:
        return [Handoff(row.conversation_id, from_utc_naive(row.created_at), row.reason)
                for row in session.execute(query)]


def ratings(engine: Engine, since: float, until: float) -> List[Rating]:
    """Satisfaction ratings given from ``since`` to just before ``until``."""
    table = SatisfactionRating
    query = select(table.conversation_id, table.created_at, table.rating, table.request, table.channel,
                   table.comment).where(table.created_at >= utc_naive(since),
                                        table.created_at < utc_naive(until))
    with Session(engine, future=True) as session:
        return [Rating(r.conversation_id, from_utc_naive(r.created_at), r.rating, r.request, r.channel,
                       r.comment) for r in session.execute(query)]


def names(engine: Engine) -> Optional[KnownNames]:
    """The customers' names, to mask them in the messages shown; None without the table."""
    if Customer.__tablename__ not in inspect(engine).get_table_names():
        return None
    with Session(engine, future=True) as session:
        return KnownNames.from_pairs(session.execute(select(Customer.first_name, Customer.last_name)).all())
