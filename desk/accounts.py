"""Advisor accounts, from configuration (``desk/advisors.yml`` or ``DESK_ADVISORS``)."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent / "advisors.yml"
USERNAME = re.compile(r"[a-z0-9._-]{1,64}")


class AccountsError(ValueError):
    """The advisors' file is missing or malformed."""


@dataclass(frozen=True)
class Advisor:
    username: str
    name: str
    password_hash: str


def _path() -> Path:
    return Path(os.environ.get("DESK_ADVISORS") or DEFAULT_PATH)


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> Dict[str, Advisor]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    advisors: Dict[str, Advisor] = {}
    for entry in data.get("advisors") or []:
        username = str(entry.get("username", "")).strip().lower()
        if not USERNAME.fullmatch(username) or not entry.get("password_hash"):
            raise AccountsError(f"{path}: each advisor needs a username (a-z 0-9 . _ -), a password_hash")
        advisors[username] = Advisor(username, str(entry.get("name") or username)[:64],
                                     str(entry["password_hash"]))
    return advisors


def advisors() -> Dict[str, Advisor]:
    """Every advisor by username (the file is re-read when it changes)."""
    path = _path()
    try:
        return _load(path, path.stat().st_mtime)
    except OSError as error:
        raise AccountsError(f"advisors' file not readable: {path}") from error


def find(username: str) -> Optional[Advisor]:
    return advisors().get((username or "").strip().lower())
