"""Where the machine's CPU time goes while the customers write (``bench/load.py``).

Read from ``/proc`` before and after a measured period: each process's user + system time,
grouped by what it is (Rasa servers, action servers, PostgreSQL, RabbitMQ, Redis, nginx, the
load generator, the carrier simulator, everything else), and the whole machine's busy time.
Divided by the messages answered, the Rasa servers' share is the CPU cost of one message.
Linux only; elsewhere the figures are absent, not wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

PROC = Path("/proc")
GROUPS = (  # first match wins: (group, words of the command line)
    ("action servers", ("rasa run actions",)),
    ("Rasa servers", ("rasa run", "production.rasa_server run")),
    ("load generator", ("bench.load",)),
    ("carrier simulator", ("simulators",)),
    ("PostgreSQL", ("postgres",)),
    ("RabbitMQ", ("beam.smp", "rabbitmq", "epmd")),
    ("Redis", ("redis-server",)),
    ("nginx", ("nginx",)),
)


def processor(cpuinfo: Path = PROC / "cpuinfo") -> str:
    """The processor's model name, and whether it has AVX-512 (TensorFlow's speed depends on it)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown"
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    model = fields.get("model name", "unknown")
    return f"{model}, AVX-512" if "avx512f" in fields.get("flags", "").split() else model


def group_of(command: str) -> str:
    for name, words in GROUPS:
        if any(word in command for word in words):
            return name
    return "other"


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds so far: per process (pid → group, seconds) and the machine's busy time."""

    processes: Dict[int, tuple]
    machine_busy: float
    machine_total: float


def _ticks() -> float:
    return float(os.sysconf("SC_CLK_TCK"))


def snapshot(proc: Path = PROC) -> Optional[Snapshot]:
    """The CPU times now, or None where ``/proc`` is not Linux's."""
    stat = proc / "stat"
    if not stat.is_file():
        return None
    ticks = _ticks()
    processes: Dict[int, tuple] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue  # gone meanwhile
        processes[int(entry.name)] = (group_of(command), (int(fields[11]) + int(fields[12])) / ticks)
    cpu = [int(v) for v in stat.read_text().splitlines()[0].split()[1:]]
    idle = cpu[3] + (cpu[4] if len(cpu) > 4 else 0)
    return Snapshot(processes, (sum(cpu) - idle) / ticks, sum(cpu) / ticks)


def usage(before: Optional[Snapshot], after: Optional[Snapshot], seconds: float, messages: int
          ) -> Optional[Dict[str, object]]:
    """CPU seconds per group between two snapshots, the machine's busy share, the Rasa cost per
    message. A process started meanwhile counts from zero; one that ended is not counted."""
    if before is None or after is None or seconds <= 0:
        return None
    groups: Dict[str, float] = {}
    for pid, (group, spent) in after.processes.items():
        earlier = before.processes.get(pid)
        used = spent - (earlier[1] if earlier and earlier[0] == group else 0.0)
        groups[group] = groups.get(group, 0.0) + max(0.0, used)
    total = after.machine_total - before.machine_total
    busy = after.machine_busy - before.machine_busy
    rasa = groups.get("Rasa servers", 0.0)
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": {k: round(v, 2) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "machine_busy_percent": round(100 * busy / total, 1) if total > 0 else None,
        "rasa_cpu_ms_per_message": round(1000 * rasa / messages, 1) if messages else None,
    }


def render(cpu: Optional[Dict[str, object]]) -> str:
    """One line for the report."""
    if not cpu:
        return "- CPU: not measured (no Linux /proc)"
    parts = ", ".join(f"{k} {v:g} s" for k, v in cpu["cpu_seconds"].items() if v >= 0.05)  # type: ignore[union-attr]
    return (f"- CPU over {cpu['seconds']:g} s: machine {cpu['machine_busy_percent']} % busy; {parts}; "
            f"Rasa servers: {cpu['rasa_cpu_ms_per_message']} ms of CPU per message")
