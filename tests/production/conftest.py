"""The production configuration, started for real: PostgreSQL, Redis, RabbitMQ, nginx,
two action servers, two Rasa servers and the web server (``production.deployment``).

The tracker store is a throw-away database on the machine's PostgreSQL and the events go
to the machine's RabbitMQ, on a queue of this run; the shop's database and Redis are
dedicated servers (tests/production/dedicated.py) that the fault tests stop and restart.
Every port is a free loopback port, so ``make run`` or ``make run-prod`` may run beside it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List

import aio_pika
import pytest
import redis
import requests
from dedicated import DedicatedPostgres, DedicatedRedis, ServiceMissing
from services import require_model, require_service
from sqlalchemy import create_engine, text

from production.deployment import Deployment
from production.environment import production_env
from production.throwaway import amqp_url, delete_queue, drop_databases, free_ports
from simulators import free_port, mail_sink
from simulators.laposte import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Production:
    """The running deployment, as a customer and an operator reach it."""

    deployment: Deployment = field(repr=False)
    queue: str
    tracker_url: str
    redis: DedicatedRedis
    shop_database: DedicatedPostgres

    def rasa_logs(self) -> str:
        return "".join(self.deployment.processes[name].tail(200_000) for name in ("rasa-1", "rasa-2"))

    @property
    def rasa_url(self) -> str:
        return self.deployment.env["RASA_URL"]

    def server_url(self, name: str) -> str:
        """A Rasa server's own URL, bypassing nginx."""
        return self.deployment.processes[name].health.split("/status")[0]

    def conversation(self) -> Customer:
        return Customer(self, f"prod-{uuid.uuid4().hex[:10]}")

    def user_texts(self, sender: str) -> List[str]:
        """The customer's messages as the tracker store in PostgreSQL holds them, in order."""
        return self._texts(sender, "user")

    def bot_texts(self, sender: str) -> List[str]:
        """Colibri's messages as the tracker store in PostgreSQL holds them, in order."""
        return self._texts(sender, "bot")

    def _texts(self, sender: str, type_name: str) -> List[str]:
        engine = create_engine(self.tracker_url, future=True)
        try:
            with engine.connect() as conn:
                query = text("SELECT data FROM events WHERE sender_id = :s AND type_name = :t ORDER BY id")
                rows = conn.execute(query, {"s": sender, "t": type_name}).scalars().all()
        finally:
            engine.dispose()
        return [json.loads(row).get("text") or "" for row in rows]

    def published_senders(self) -> List[str]:
        """Sender ids of the events RabbitMQ received on the deployment's queue (consumed)."""
        return asyncio.run(_drain(amqp_url(self.deployment.env), self.queue))


@dataclass
class Customer:
    production: Production
    sender: str

    def say(self, message: str, url: str = "") -> List[dict]:
        base = url or self.production.rasa_url
        body = {"sender": self.sender, "message": message}
        reply = requests.post(f"{base}/webhooks/rest/webhook", json=body, timeout=30)
        assert reply.status_code == 200, reply.text[:300]
        return reply.json()


async def _drain(url: str, queue_name: str) -> List[str]:
    connection = await aio_pika.connect_robust(url)
    senders: List[str] = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            senders.append(json.loads(message.body)["sender_id"])
    return senders


def check_services() -> None:
    try:
        create_engine(POSTGRES, future=True).connect().close()
    except Exception as error:  # noqa: BLE001 - any failure means absent
        require_service("PostgreSQL at 127.0.0.1:5432", error)
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except Exception as error:  # noqa: BLE001
        require_service("Redis at 127.0.0.1:6379", error)
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as error:
        require_service("RabbitMQ at 127.0.0.1:5672", error)


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    check_services()
    model = require_model()
    try:
        lock_store, shop_database = DedicatedRedis(), DedicatedPostgres()
    except ServiceMissing as error:
        require_service("a dedicated Redis or PostgreSQL server", error)
    lock_store.start()
    shop_database.start()
    state = tmp_path_factory.mktemp("prod")
    run = uuid.uuid4().hex[:8]
    ports = free_ports(2)
    carrier, carrier_url = start_in_thread(port=0, key="prod-key")
    smtp = mail_sink.start(free_port())
    queue = f"colibri_test_{run}"
    env = production_env(ports, state, base={**os.environ,
        "TRACKER_DB_NAME": f"colibri_test_{run}_tracker", "RABBITMQ_QUEUE": queue,
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(lock_store.port), "SOCKETIO_REDIS_URL": lock_store.url,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{shop_database.port}/colibri_shop",
        "CARRIER_API_URL": carrier_url, "CARRIER_API_KEY": "prod-key", "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        # A return left open is recalled after 5 s; a reminder still unsent 2 s later is lost.
        "RETURN_REMINDER_AFTER": "5", "RETURN_REMINDER_GRACE": "2", "RETURN_REMINDER_SWEEP_EVERY": "1"})
    deployment = Deployment(env, state, model, ports)
    try:
        deployment.start()
        yield Production(deployment, queue, env["TRACKER_STORE_URL"], lock_store, shop_database)
    finally:
        deployment.stop()
        carrier.stop()
        smtp.stop()
        lock_store.stop()
        shop_database.remove()
        drop_databases(env["TRACKER_STORE_URL"])
        delete_queue(env)
