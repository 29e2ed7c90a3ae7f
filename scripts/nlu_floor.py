"""Fails when held-out intent accuracy drops below the floor recorded in the repo.

Usage: ``python scripts/nlu_floor.py results/nlu/intent_report.json``. The floor
lives in ``tests/nlu/accuracy_floor.txt``; raise it when the model gets better.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLOOR_FILE = Path(__file__).resolve().parent.parent / "tests" / "nlu" / "accuracy_floor.txt"


def main(report_path: str) -> int:
    """Compares the report's accuracy with the floor; returns the exit code."""
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    accuracy = float(report["accuracy"])
    macro_f1 = float(report["macro avg"]["f1-score"])
    floor = float(FLOOR_FILE.read_text(encoding="utf-8").split()[0])
    print(f"held-out intent accuracy {accuracy:.3f} (floor {floor:.3f}), macro-F1 {macro_f1:.3f}")
    weakest = sorted((v["f1-score"], k) for k, v in report.items()
                     if isinstance(v, dict) and "support" in v and k not in
                     {"macro avg", "weighted avg", "micro avg"})[:3]
    print("weakest intents: " + ", ".join(f"{name} {f1:.2f}" for f1, name in weakest))
    if accuracy < floor:
        print(f"FAILED: accuracy {accuracy:.3f} is below the floor {floor:.3f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
