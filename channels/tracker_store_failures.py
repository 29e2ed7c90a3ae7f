"""A conversation whose history cannot be read is not started again from nothing.

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``: when the store (PostgreSQL)
cannot be read, ``retrieve`` logs the error and returns None, and Rasa goes on with a new,
empty conversation. The customer's form, verified order or advisor handoff are forgotten
without a word, and what is said then is not kept where the advisors and the KPIs read it.

Here a read failure is raised instead: the channel's failsafe (``channels.failsafe``)
answers the customer with an apology and logs the error on one line; nothing of the message
is recorded, and once the store is back the conversation goes on where it was.
Saving keeps Rasa's behaviour (the error logged, the tracker kept in memory): by then the
message has been answered and its actions have run.

The SQL tracker store's connections are also checked before use (SQLAlchemy's
``pool_pre_ping``), as the actions' are: connections cut while the database was away are
replaced, and the first message after its return is answered. Its engine is made once Rasa
has set the store up, with Rasa's own settings: Rasa 3.6 drops them (``SQL_POOL_SIZE``,
``SQL_MAX_OVERFLOW``, ``POSTGRESQL_SCHEMA``) when ``login_db`` is set, as in production.
On PostgreSQL a connection gives up after ``CONNECT_TIMEOUT_S`` (libpq's ``connect_timeout``).
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from rasa.core import tracker_store
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from sqlalchemy.orm import sessionmaker

from actions.db import CONNECT_TIMEOUT_S


def _raise_retrieve_error(self: FailSafeTrackerStore, error: Exception) -> None:
    """Called by ``FailSafeTrackerStore.retrieve`` in its ``except``: the error goes on."""
    raise error


def _checked_engine(rasa_init: Any) -> Any:
    """``SQLTrackerStore.__init__``, then its engine made again, checking connections before use."""

    @functools.wraps(rasa_init)
    def init(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
        rasa_init(self, *args, **kwargs)
        url = self.engine.url
        kwargs = tracker_store.create_engine_kwargs(url)
        if url.get_backend_name() == "postgresql":  # a hung server would freeze every conversation
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "connect_timeout": CONNECT_TIMEOUT_S}
        self.engine.dispose()
        self.engine = sa.create_engine(url, **kwargs, pool_pre_ping=True)
        self.sessionmaker = sessionmaker(bind=self.engine)

    init.colibri_checked = True  # type: ignore[attr-defined]
    return init


def install() -> None:
    """Makes a failed read of the tracker store an error of the message, not a new conversation,
    and the store's connections checked before use. May be called more than once."""
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _raise_retrieve_error
    if not getattr(SQLTrackerStore.__init__, "colibri_checked", False):
        SQLTrackerStore.__init__ = _checked_engine(SQLTrackerStore.__init__)
