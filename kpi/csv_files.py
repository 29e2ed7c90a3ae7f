"""The report as CSV files for spreadsheets: figures, evolution, comments.

UTF-8 with a byte-order mark (spreadsheets then read the accents right), comma
separated, decimal point; rates are fractions (0.333), times in seconds.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

SERIES_COLUMNS = ("key", "label", "start", "end", "conversations", "customers", "new_customers",
                  "active_customers", "engaged_customers", "customer_messages", "returned", "retention_rate",
                  "answered_messages", "response_p50", "response_p95", "response_max", "confusion_rate",
                  "ratings", "csat_mean", "containment_rate", "handoff_rate")
COMMENT_COLUMNS = ("date", "channel", "rating", "request", "comment")
Row = Tuple[str, str, str, Any]


def figures(report: Dict[str, Any]) -> Iterator[Row]:
    """``(section, indicator, key, value)`` rows: every figure of the report but the evolution."""
    for name, value in report["usage"].items():
        yield "usage", name, "", value
    retention = report["retention"]
    for name in ("new_customers", "returned", "rate"):
        yield "retention", name, "", retention[name]
    for scale in ("months", "quarters"):
        for cohort in retention[scale]:
            for name in ("new_customers", "returned", "rate"):
                yield f"retention_{scale}", name, cohort["key"], cohort[name]
    times = report["response_time"]
    for name in ("messages", "p50", "p95", "max"):
        yield "response_time", name, "", times[name]
    for channel in times["channels"]:
        for name in ("messages", "p50", "p95", "max"):
            yield "response_time_channel", name, channel["channel"], channel[name]
    for name, value in report["confusion"].items():
        yield "confusion", name, "", value
    csat = report["satisfaction"]
    for name in ("surveys", "ratings", "response_rate", "mean"):
        yield "satisfaction", name, "", csat[name]
    for entry in csat["distribution"]:
        yield "satisfaction_distribution", "ratings", str(entry["rating"]), entry["count"]
    yield "satisfaction", "comments", "", len(csat["comments"])
    for name, value in report["containment"].items():
        yield "containment", name, "", value
    handoffs = report["handoffs"]
    for name in ("handed_off", "handoff_rate", "handoffs"):
        yield "handoffs", name, "", handoffs[name]
    for reason in handoffs["reasons"]:
        yield "handoff_reasons", "handoffs", reason["reason"], reason["count"]
    for request in report["top_requests"]:
        yield "top_requests", "conversations", request["request"], request["conversations"]
    for message in report["top_misunderstood"]:
        yield "top_misunderstood", "count", message["text"], message["count"]


def _write(path: Path, header: List[str], rows: List[List[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def folder_name(report: Dict[str, Any]) -> str:
    """``2026-11-01_2026-11-30_socketio`` (``tous`` for every channel)."""
    period = report["period"]
    return f"{period['from']}_{period['to']}_{period['channel'] or 'tous'}"


def write(report: Dict[str, Any], root: Path) -> List[Path]:
    """Writes ``kpi.csv``, ``series.csv`` and ``comments.csv`` under ``root/<period>/``; their paths."""
    folder = root / folder_name(report)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "kpi.csv", folder / "series.csv", folder / "comments.csv"]
    _write(paths[0], ["section", "indicator", "key", "value"], [list(row) for row in figures(report)])
    _write(paths[1], list(SERIES_COLUMNS), [[s[c] for c in SERIES_COLUMNS] for s in report["series"]])
    _write(paths[2], list(COMMENT_COLUMNS),
           [[c[name] for name in COMMENT_COLUMNS] for c in report["satisfaction"]["comments"]])
    return paths
