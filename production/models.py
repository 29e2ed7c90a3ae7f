"""Finding the trained Rasa model to serve: the newest archive of a ``models/`` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from production.environment import ROOT

MODELS = ROOT / "models"
NO_MODEL = "no trained model in models/: run `make train` first"


def newest_model(folder: Path = MODELS) -> Optional[Path]:
    """The most recently written ``*.tar.gz`` of ``folder`` (``make train``), None if there is none."""
    models = sorted(folder.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None
