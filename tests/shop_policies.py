"""Test copies of the shop's policies file (``knowledge/policies.yml``)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_policies(path: Path, **hours: str) -> None:
    """A copy of the shop's policies with the advisors' hours replaced (``weekdays=…``)."""
    values = yaml.safe_load((ROOT / "knowledge" / "policies.yml").read_text(encoding="utf-8"))
    for day, value in hours.items():
        values[f"advisor_hours_{day}"] = value
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
