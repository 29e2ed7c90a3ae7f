"""Read-only SQLAlchemy engines: the trainers' tools never write to a database."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine, make_url


class InboxError(Exception):
    """A problem the trainer can fix (wrong URL, missing file, no tracker store)."""


def describe(url: str) -> str:
    """``url`` fit to print: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def read_only_engine(url: str) -> Engine:
    """An engine on ``url`` that cannot write.

    SQLite files are opened with ``mode=ro`` (a missing file is an error, never
    created); PostgreSQL sessions are ``default_transaction_read_only`` and honour
    Rasa's ``POSTGRESQL_SCHEMA``.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InboxError(f"{describe(url)} is not a SQLite file")
        path = Path(parsed.database).expanduser().resolve()
        if not path.is_file():
            raise InboxError(f"no SQLite database at {path}")
        readonly = URL.create(parsed.drivername, database=path.as_uri(), query={"mode": "ro", "uri": "true"})
        return create_engine(readonly, future=True)
    if backend == "postgresql":
        options = "-c default_transaction_read_only=on"
        schema = os.environ.get("POSTGRESQL_SCHEMA")
        if schema:
            options += f" -c search_path={schema}"
        return create_engine(parsed, future=True, connect_args={"options": options})
    return create_engine(parsed, future=True)
