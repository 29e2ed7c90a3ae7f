"""Figures of ``make bench-load``: percentiles, a run's summary, the max-rate ladder, the table.

Percentiles are nearest-rank: p95 is the latency that 95 % of the replies did not exceed
(the ``ceil(0.95 n)``-th smallest), always a latency that was measured, never an
interpolation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

P95_TARGET_DB_MS = 150.0  # issue 8: database-backed messages, 20 customers every 2 s
P95_MAX_RATE_MS = 500.0  # issue 8: the highest rate one Rasa server sustains under this p95
TARGET_CUSTOMERS = 20
TARGET_INTERVAL = 2.0


def percentile(values: Sequence[float], p: float) -> Optional[float]:
    """The nearest-rank ``p``-th percentile (0 < p <= 100); None without values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in ]0, 100]")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> Dict[str, Any]:
    """count, p50 / p95 / p99 / max and mean, in milliseconds (None when empty)."""

    def ms(value: Optional[float]) -> Optional[float]:
        return None if value is None else round(value * 1000, 1)

    return {
        "count": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p95_ms": ms(percentile(seconds, 95)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
        "mean_ms": ms(sum(seconds) / len(seconds) if seconds else None),
    }


@dataclass(frozen=True)
class Record:
    """One message as the client saw it."""

    sender: str
    position: int  # in its conversation, from 0
    script: str
    flow: str
    text: str
    sent_at: float  # Unix time
    latency: Optional[float]  # seconds until the whole reply was read; None if no reply
    status: Optional[int]
    error: Optional[str]  # None, or what went wrong: timeout, http 502, no reply, apology…
    replies: int


def summarise(records: Sequence[Record], db_backed: Dict[tuple, bool], elapsed: float) -> Dict[str, Any]:
    """A run's figures: messages, errors by kind, rate, latencies (all, database-backed, others)."""
    ok = [r for r in records if r.error is None and r.latency is not None]
    errors: Dict[str, int] = {}
    for record in records:
        if record.error is not None:
            kind = record.error.split(":", 1)[0]
            errors[kind] = errors.get(kind, 0) + 1
    db = [r.latency for r in ok if db_backed.get((r.sender, r.position))]
    other = [r.latency for r in ok if not db_backed.get((r.sender, r.position))]
    flows: Dict[str, List[float]] = {}
    for record in ok:
        flows.setdefault(record.flow, []).append(record.latency)
    return {
        "messages": len(records),
        "replied": len(ok),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "conversations": len({r.sender for r in records}),
        "elapsed_s": round(elapsed, 1),
        "messages_per_s": round(len(ok) / elapsed, 2) if elapsed > 0 else None,
        "latency": latency_summary([r.latency for r in ok]),
        "latency_db_backed": latency_summary(db),
        "latency_other": latency_summary(other),
        "latency_by_flow": {flow: latency_summary(values) for flow, values in sorted(flows.items())},
    }


def rate_ladder(start: float, factor: float, limit: float) -> List[float]:
    """Offered rates (messages/s) from ``start``, times ``factor`` each step, up to ``limit``."""
    if start <= 0 or factor <= 1:
        raise ValueError("start must be > 0 and factor > 1")
    rates, rate = [], start
    while rate <= limit + 1e-9:
        rates.append(round(rate, 2))
        rate *= factor
    return rates


def step_passes(summary: Dict[str, Any], store_ok: bool, p95_limit_ms: float = P95_MAX_RATE_MS) -> bool:
    """A max-rate step is sustained: p95 under the limit, no error, the tracker store complete."""
    p95 = summary["latency"]["p95_ms"]
    return p95 is not None and p95 <= p95_limit_ms and summary["errors"] == 0 and store_ok


def highest_sustained(steps: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The step with the highest measured rate among those that passed (None if none did)."""
    passed = [s for s in steps if s["passed"]]
    return max(passed, key=lambda s: s["summary"]["messages_per_s"] or 0) if passed else None


def verdicts(summary: Dict[str, Any], store: Dict[str, Any], customers: int, interval: float) -> List[str]:
    """PASS/FAIL lines for the issue's targets on a Colibri run."""
    at_target = customers == TARGET_CUSTOMERS and math.isclose(interval, TARGET_INTERVAL)
    note = "" if at_target else (f" (run at {customers} customers every {interval:g} s, "
                                 f"target load is {TARGET_CUSTOMERS} every {TARGET_INTERVAL:g} s)")
    p95 = summary["latency_db_backed"]["p95_ms"]
    lines = [
        f"{'PASS' if p95 is not None and p95 <= P95_TARGET_DB_MS else 'FAIL'} p95 of database-backed "
        f"replies {_ms(p95)} <= {P95_TARGET_DB_MS:g} ms{note}",
        f"{'PASS' if summary['errors'] == 0 else 'FAIL'} errors: {summary['errors']}",
        f"{'PASS' if store['lost'] == 0 and store['reordered_conversations'] == 0 else 'FAIL'} "
        f"lost: {store['lost']}, reordered conversations: {store['reordered_conversations']} "
        f"(unexpected: {store['unexpected']}, unanswered: {store['unanswered']})",
    ]
    return lines


def _ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:g} ms"


def markdown_table(runs: Sequence[Dict[str, Any]]) -> str:
    """One row per target: the figures the issue asks for."""
    head = ("| target | customers × interval | messages | msg/s | p50 | p95 | p99 | p95 db-backed "
            "(n) | errors | tracker store |\n|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for run in runs:
        s, store = run["summary"], run["store"]
        lat, db = s["latency"], s["latency_db_backed"]
        store_text = ("complete, in order" if store["ok"] else
                      f"lost {store['lost']}, reordered {store['reordered_conversations']}, "
                      f"unexpected {store['unexpected']}, unanswered {store['unanswered']}")
        rows.append(
            f"| {run['label']} | {run['customers']} × {run['interval']:g} s | {s['messages']} | "
            f"{s['messages_per_s']} | {_ms(lat['p50_ms'])} | {_ms(lat['p95_ms'])} | {_ms(lat['p99_ms'])} | "
            f"{_ms(db['p95_ms'])} ({db['count']}) | {s['errors']} | {store_text} |")
    return "\n".join([head, *rows])


def max_rate_table(ladders: Dict[str, Dict[str, Any]]) -> str:
    """The steps of each target's ladder, and the highest sustained rate."""
    lines = ["| target | offered msg/s | customers | measured msg/s | p95 | errors | store | sustained |",
             "|---|---|---|---|---|---|---|---|"]
    for label, ladder in ladders.items():
        for step in ladder["steps"]:
            s = step["summary"]
            lines.append(
                f"| {label} | {step['offered']:g} | {step['customers']} | {s['messages_per_s']} | "
                f"{_ms(s['latency']['p95_ms'])} | {s['errors']} | {'ok' if step['store_ok'] else 'FAIL'} | "
                f"{'yes' if step['passed'] else 'no'} |")
    best = [f"- {label}: **{_best(ladder)}**" for label, ladder in ladders.items()]
    return "\n".join([*lines, "", f"Highest rate sustained with p95 <= {P95_MAX_RATE_MS:g} ms:", *best])


def _best(ladder: Dict[str, Any]) -> str:
    best = ladder.get("best")
    if best is None:
        return "none of the steps (even the first one failed)"
    s = best["summary"]
    limit = ladder.get("limit_reached")
    note = " (the ladder's limit was reached: the real maximum is higher)" if limit else ""
    return f"{s['messages_per_s']} msg/s (p95 {_ms(s['latency']['p95_ms'])}){note}"
