"""The web server's background jobs: one daemon thread each, run every N seconds."""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable

from actions.settings import number_from_env

logger = logging.getLogger(__name__)


def start(name: str, every_variable: str, default_seconds: float,
          job: Callable[[], object]) -> threading.Event:
    """Runs ``job`` every ``every_variable`` seconds (``default_seconds`` when unset) in a
    daemon thread; a failure is logged and the next run goes on. Set the event to stop."""
    every = number_from_env(every_variable, os.environ.get(every_variable), default_seconds, 0.2, 3600.0)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                job()
            except Exception:  # noqa: BLE001 - a background job must never kill its thread
                logger.exception("%s failed", name)

    threading.Thread(target=loop, name=name, daemon=True).start()
    return stop
