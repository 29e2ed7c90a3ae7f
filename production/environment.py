"""The variables of the production configuration, for processes on one machine.

Values come from the environment, else from ``deploy/production.env`` if ops
wrote one, else from defaults for this machine's services. Secrets that are
not given are generated once and kept under ``var/`` (like ``make run`` does).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / "deploy" / "production.env"
SECRETS = ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "PROACTIVE_TOKEN")


@dataclass(frozen=True)
class Ports:
    """Where each part listens (the contract's ports are nginx's and the web server's)."""

    rasa: int = 5005
    actions: int = 5055
    web: int = 8080
    rasa_servers: tuple = (5006, 5007)
    action_servers: tuple = (5056, 5057)


def read_env_file(path: Path) -> Dict[str, str]:
    """``KEY=value`` lines of an env file (``#`` comments, no quoting rules)."""
    values: Dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def secret(name: str, state: Path) -> str:
    """A secret kept in ``state/<name>``, made on first use."""
    path = state / name.lower().replace("_", "-")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def local_defaults(ports: Ports) -> Dict[str, str]:
    """The production variables pointing at this machine's services."""
    return {
        "COLIBRI_ENV": "production",
        "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": "colibri_tracker",
        "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "", "TRACKER_DB_LOGIN_DB": "postgres",
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0", "REDIS_PASSWORD": "",
        "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_PORT": "5672", "RABBITMQ_USER": "guest",
        "RABBITMQ_PASSWORD": "guest", "RABBITMQ_QUEUE": "colibri_events",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/colibri_shop",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{ports.actions}/webhook",
        "RASA_URL": f"http://127.0.0.1:{ports.rasa}",
        "SOCKETIO_REDIS_URL": "redis://127.0.0.1:6379/1", "SQL_POOL_SIZE": "10", "SQL_MAX_OVERFLOW": "10",
    }


def production_env(ports: Ports, state: Path, base: Mapping[str, str] = os.environ) -> Dict[str, str]:
    """Every process's environment: ``base`` wins over the env file, which wins over defaults."""
    env = {**local_defaults(ports), **read_env_file(ENV_FILE), **base}
    for name in SECRETS:
        if not env.get(name) or env[name] == "change-me-long-random":
            env[name] = secret(name, state)
    env.setdefault("TRACKER_STORE_URL", tracker_url(env))
    # PYTHONPATH: Rasa reads privacy/logging.yml before it puts the working folder on the path.
    env.update(SQLALCHEMY_SILENCE_UBER_WARNING="1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONWARNINGS="ignore::DeprecationWarning", PYTHONPATH=str(ROOT))
    return env


def tracker_url(env: Mapping[str, str]) -> str:
    """The tracker store's SQLAlchemy URL, from the ``TRACKER_DB_*`` variables."""
    url = URL.create("postgresql", env["TRACKER_DB_USER"], env.get("TRACKER_DB_PASSWORD") or None,
                     env["TRACKER_DB_HOST"], int(env["TRACKER_DB_PORT"]), env["TRACKER_DB_NAME"])
    return url.render_as_string(hide_password=False)


def ensure_database(url: str) -> bool:
    """Creates the PostgreSQL database of ``url`` if it is missing; True if it was created."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": target.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return not exists
    finally:
        admin.dispose()
