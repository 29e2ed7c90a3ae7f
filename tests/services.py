"""What tests need from the machine: its services and a trained model.

An absent one skips the test with the reason, except under ``CI=true`` where it
is a failure (``.ci/run``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def require_service(name: str, error: Exception) -> None:
    """Skips the test when a service is absent; under CI=true, fails it instead."""
    message = f"{name} is not reachable ({type(error).__name__}: {error})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


def newest_model() -> Path:
    """The newest trained model in ``models/`` (``make train``)."""
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        message = "no trained model in models/: run `make train` first"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return models[-1]
