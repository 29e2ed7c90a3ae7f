"""The one way to reach the shop's database: an engine and short sessions.

SQLAlchemy 1.4 used in the 2.0 style (``future=True``, ``select()``, ``Session``).
``DATABASE_URL`` picks the backend: SQLite by default, PostgreSQL in production.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from actions.settings import Settings

_engine: Optional[Engine] = None
_session_factory: Optional[sessionmaker] = None
# A PostgreSQL server that accepts the connection but never answers (hung, overloaded, a
# firewall dropping packets) would hold the action server's event loop for minutes; libpq
# gives up after this many seconds and the action apologises.
CONNECT_TIMEOUT_S = 3


def make_engine(url: str) -> Engine:
    """Creates an engine for ``url``; for SQLite, creates the file's folder."""
    parsed = make_url(url)
    kwargs: dict = {"future": True, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    elif parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    return create_engine(url, **kwargs)


def get_engine() -> Engine:
    """The process-wide engine, created on first use from the settings."""
    global _engine, _session_factory
    if _engine is None:
        _engine = make_engine(Settings.from_env().database_url)
        _session_factory = sessionmaker(_engine, future=True, expire_on_commit=False)
    return _engine


def use_engine(engine: Engine) -> None:
    """Points the actions at ``engine`` (tests and tools)."""
    global _engine, _session_factory
    _engine = engine
    _session_factory = sessionmaker(engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A transaction: commits on success, rolls back on any error."""
    get_engine()
    assert _session_factory is not None
    with _session_factory() as session, session.begin():
        yield session
