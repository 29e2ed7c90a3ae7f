"""Where a Rasa server's time per message goes, sampled with py-spy (``--profile``).

py-spy (a sampling profiler, requirements-dev.txt) records the Rasa server's Python stacks
during the measured period, without changing its code. The samples taken while Rasa handles
a message (under ``Agent.handle_message``: lock, processor, save) are split by part: the NLU pipeline,
each dialogue policy, the tracker store, the calls to the action server, the lock store, the
graph runner. The shares say what to make faster first; docs/performance.md has the ones
that led to ``rasa_speedups/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Pattern, Tuple

HANDLE_MESSAGE = re.compile(r"^handle_message \(.*rasa/core/agent\.py")
# First part whose pattern matches a frame of the stack wins: inner components before the
# machinery that calls them.
PARTS: List[Tuple[str, Pattern[str]]] = [(name, re.compile(pattern)) for name, pattern in [
    ("NLU: ResponseSelector", r"rasa/nlu/selectors/response_selector\.py"),  # a DIET subclass
    ("NLU: DIETClassifier", r"rasa/nlu/classifiers/diet_classifier\.py"),
    ("NLU: tokenizer, featurizers, extractors", r"rasa/nlu/|nlu_components/"),
    ("policy: TEDPolicy", r"rasa/core/policies/ted_policy\.py"),
    ("policy: RulePolicy", r"rasa/core/policies/rule_policy\.py"),
    ("policy: MemoizationPolicy", r"rasa/core/policies/memoization\.py"),
    ("policies: ensemble", r"rasa/core/policies/"),
    ("tracker store (PostgreSQL)", r"rasa/core/tracker_store\.py|rasa_speedups/tracker_store\.py"),
    ("actions: forms, action server calls", r"rasa/core/actions/|rasa_speedups/action_responses|aiohttp/"),
    ("lock store (Redis)", r"rasa/core/lock_store\.py"),
    ("graph runner", r"dask/|rasa/engine/"),
]]


def _frames(line: str) -> Tuple[List[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    return stack.split(";"), int(count)


def breakdown(lines: Iterable[str]) -> Dict[str, object]:
    """Samples of ``handle_message`` by part (share in %), from py-spy's raw (collapsed) output."""
    parts: Counter = Counter()
    total = handling = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            frames, count = _frames(line)
        except ValueError:
            continue
        total += count
        start = next((i for i, f in enumerate(frames) if HANDLE_MESSAGE.search(f)), None)
        if start is None:
            continue
        handling += count
        inner = frames[start + 1:]
        part = next((name for name, pattern in PARTS if any(pattern.search(f) for f in inner)), "other")
        parts[part] += count
    shares = {name: round(100 * n / handling, 1) for name, n in parts.most_common()} if handling else {}
    return {"samples": total, "handling_samples": handling, "shares_percent": shares}


def py_spy() -> Optional[str]:
    """py-spy next to this interpreter (the venv), or on the PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path, rate: int = 100) -> subprocess.Popen:
    """Starts sampling ``pid`` for ``seconds`` into ``out`` (raw format); raises if no py-spy."""
    exe = py_spy()
    if exe is None:
        raise FileNotFoundError("py-spy is not installed (make venv installs requirements-dev.txt)")
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                             "--rate", str(rate), "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, out: Path) -> Dict[str, object]:
    """Waits for py-spy; the breakdown of what it recorded, or why there is none."""
    try:
        _, errors = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        return {"error": "py-spy did not finish"}
    if not out.is_file():
        return {"error": f"py-spy recorded nothing: {' '.join((errors or '').split())[:300]}"}
    with out.open(encoding="utf-8", errors="replace") as lines:
        return {**breakdown(lines), "file": str(out)}


def render(profile: Dict[str, object]) -> str:
    """One line for the report."""
    if "error" in profile:
        return f"- profile: {profile['error']}"
    shares = profile["shares_percent"]
    parts = ", ".join(f"{name} {share:g} %" for name, share in shares.items())  # type: ignore[union-attr]
    return f"- Rasa server's time handling messages (py-spy, {profile['handling_samples']} samples): {parts}"
