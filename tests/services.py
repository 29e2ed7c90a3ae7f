"""What tests need from the machine: its services and a trained model.

An absent one skips the test with the reason, except under ``CI=true`` where it
is a failure (``.ci/run``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from production.models import NO_MODEL, newest_model


def require_service(name: str, error: Exception) -> None:
    """Skips the test when a service is absent; under CI=true, fails it instead."""
    message = f"{name} is not reachable ({type(error).__name__}: {error})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


def require_model() -> Path:
    """The newest trained model in ``models/`` (``make train``); without one, skips the test
    (under CI=true, fails it)."""
    model = newest_model()
    if model is None:
        if os.environ.get("CI") == "true":
            pytest.fail(NO_MODEL, pytrace=False)
        pytest.skip(NO_MODEL)
    return model
