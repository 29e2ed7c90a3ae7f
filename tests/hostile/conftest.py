"""The world the hostile suite runs the actions in, built once per database and module: the
seeded shop (SQLite, and PostgreSQL like ``shop_db``), the La Poste simulator, a real SMTP
server, advisors at work and one online (so handoffs really write their tickets).

Examples share the database: each one compares the whole database before and after
(``harness.snapshot``), so what earlier examples wrote does not matter.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from hostile import harness
from shop_policies import write_policies
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions import accounts, db
from actions.desk_models import AdvisorSession
from actions.seed import seed
from simulators.laposte import start_in_thread


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hostile_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  smtp_server) -> Iterator[Engine]:
    work = tmp_path_factory.mktemp("hostile")
    url = (f"sqlite:///{work / 'shop.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_server"))
    engine = db.make_engine(url)
    seed(engine, reset=True)
    now = datetime.utcnow()
    with Session(engine, future=True) as session, session.begin():
        session.add(AdvisorSession(token_hash=uuid.uuid4().hex * 2, username="julie", created_at=now,
                                   last_seen=now, expires_at=now + timedelta(days=1)))
    carrier, carrier_url = start_in_thread(port=0, key="hostile-key")
    policies = work / "policies.yml"
    write_policies(policies, weekdays="00:00-24:00", saturday="00:00-24:00", sunday="00:00-24:00")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"CARRIER_API_URL": carrier_url, "CARRIER_API_KEY": "hostile-key",
                            "CARRIER_TIMEOUT": "1", "CARRIER_RETRIES": "0", "SHOP_POLICIES": str(policies),
                            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port),
                            "SMTP_TIMEOUT": "5"}.items():
            patch.setenv(name, value)
        for name in ("SMTP_SENDER", "SMTP_STARTTLS", "SMTP_USER", "SMTP_PASSWORD", "DATABASE_URL"):
            patch.delenv(name, raising=False)
        patch.setattr(accounts, "SHOP_URL", "https://shop.test")
        yield engine
    carrier.stop()
    engine.dispose()


@pytest.fixture
def shop(hostile_world: Engine, smtp_server) -> Engine:
    """The shop the actions use now, with Julie's desk still open (seen just now)."""
    db.use_engine(hostile_world)
    with Session(hostile_world, future=True) as session, session.begin():
        session.execute(update(AdvisorSession).values(last_seen=datetime.utcnow()))
    harness.database_touched()
    smtp_server.handler.messages.clear()
    smtp_server.handler.refuse_recipients = False
    return hostile_world
