"""Rasa's starter bot (``rasa init``), the reference point of ``make bench-load``.

``rasa init --no-prompt`` writes Rasa's example project (English; intents greet, goodbye,
affirm, deny, mood_great, mood_unhappy, bot_challenge; responses only, no custom action)
and trains it with Rasa's default pipeline and policies. The project and its model are
kept in ``var/bench/starter/`` and reused by the next runs (training takes 1–2 minutes on
2 cores); delete the folder, or pass ``--retrain-starter``, to make it again.

Usage on its own: ``python -m bench.starter_bot`` prints the model's path (training it if
needed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

from production.models import newest_model

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench" / "starter"
RASA = str(Path(sys.executable).with_name("rasa"))
ENV = {
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "RASA_TELEMETRY_ENABLED": "false",
}


class StarterError(RuntimeError):
    """``rasa init`` failed or left no model."""


def cached_model(folder: Path = CACHE) -> Optional[Path]:
    """The newest trained model of the cached starter project, if any."""
    return newest_model(folder / "models")


def ensure_model(folder: Path = CACHE, retrain: bool = False, timeout: float = 1800) -> Path:
    """The starter bot's model: the cached one, else ``rasa init --no-prompt`` in ``folder``."""
    model = None if retrain else cached_model(folder)
    if model is not None:
        return model
    work = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = folder.with_name(folder.name + "-init.log")
    print(f"==> rasa init --no-prompt (Rasa's starter bot, trained once, kept in {folder})", flush=True)
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(work)], cwd=work,
                              env={**os.environ, **ENV}, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    if done.returncode != 0 or cached_model(work) is None:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise StarterError(f"rasa init failed (exit {done.returncode}), see {log}:\n{tail}")
    shutil.rmtree(folder, ignore_errors=True)
    work.rename(folder)
    model = cached_model(folder)
    assert model is not None
    return model


def main() -> None:
    print(ensure_model(retrain="--retrain" in sys.argv[1:]))


if __name__ == "__main__":
    main()
