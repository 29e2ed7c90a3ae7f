"""Settings of the action server, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'colibri.db'}"


@dataclass(frozen=True)
class Settings:
    """What the actions need to reach the shop's systems."""

    database_url: str
    max_failed_checks: int = 3

    @classmethod
    def from_env(cls) -> Settings:
        """Reads ``DATABASE_URL`` (SQLite file under ``var/`` by default)."""
        return cls(database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
