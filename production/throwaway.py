"""Throw-away parts of a deployment started for one run (``bench/load_targets.py``,
``tests/production``): free loopback ports, then, once it has stopped, its PostgreSQL
databases and its RabbitMQ queue removed; and fresh PostgreSQL databases for the tests
(``databases``)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Iterator, List, Mapping

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from production.environment import Ports
from simulators import free_port


def free_ports(servers: int) -> Ports:
    """Free loopback ports for nginx, the web server and ``servers`` Rasa and action servers each."""
    return Ports(rasa=free_port(), actions=free_port(), web=free_port(),
                 rasa_servers=tuple(free_port() for _ in range(servers)),
                 action_servers=tuple(free_port() for _ in range(servers)))


def amqp_url(env: Mapping[str, str]) -> str:
    """RabbitMQ's URL, from the ``RABBITMQ_*`` variables."""
    return f"amqp://{env['RABBITMQ_USER']}:{env['RABBITMQ_PASSWORD']}@{env['RABBITMQ_HOST']}:{env['RABBITMQ_PORT']}/"


def drop_databases(*urls: str, login_database: str = "postgres") -> None:
    """Drops the PostgreSQL databases of ``urls`` (connections closed), signed in to ``login_database``."""
    for url in urls:
        target = make_url(url)
        admin = create_engine(target.set(database=login_database), future=True, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        finally:
            admin.dispose()


def delete_queue(env: Mapping[str, str]) -> None:
    """Deletes the ``RABBITMQ_QUEUE`` of ``env`` (events nobody consumed); nothing if it was never made."""
    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect_robust(amqp_url(env), timeout=10)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(env["RABBITMQ_QUEUE"])

    with contextlib.suppress(Exception):  # the queue may never have been made
        asyncio.run(delete())


@contextlib.contextmanager
def databases(server_url: str, prefix: str, count: int = 1) -> Iterator[List[URL]]:
    """``count`` new databases ``<prefix>_<random>`` on the PostgreSQL server of ``server_url``,
    signed in to its database; dropped (connections closed) at the end. Creating them raises
    SQLAlchemy's error when the server is absent."""
    server = make_url(server_url)
    created: List[URL] = []
    admin = create_engine(server, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for _ in range(count):
                name = f"{prefix}_{uuid.uuid4().hex[:8]}"
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(server.set(database=name))
        admin.dispose()
        yield list(created)
    finally:
        admin.dispose()
        drop_databases(*(url.render_as_string(hide_password=False) for url in created),
                       login_database=server.database or "postgres")
