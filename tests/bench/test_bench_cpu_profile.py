"""The benchmark's CPU accounting (/proc) and its py-spy breakdown of a Rasa server's time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import load_cpu, load_profile


@pytest.mark.parametrize("command, group", [
    ("/srv/.venv/bin/python /srv/.venv/bin/rasa run actions --actions actions --port 5056", "action servers"),
    ("/srv/.venv/bin/python /srv/.venv/bin/rasa run --model models --enable-api", "Rasa servers"),
    ("/srv/.venv/bin/python -m production.rasa_server run --model m.tar.gz --enable-api", "Rasa servers"),
    ("postgres: 15/main: postgres colibri_tracker 127.0.0.1(40112) idle", "PostgreSQL"),
    ("/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -MBas ageffcbf", "RabbitMQ"),
    ("/usr/bin/redis-server 127.0.0.1:6379", "Redis"),
    ("nginx: worker process", "nginx"),
    ("/srv/.venv/bin/python -m bench.load --max-rate", "load generator"),
    ("/usr/sbin/sshd -D", "other"),
])
def test_processes_are_grouped_by_what_they_are(command: str, group: str) -> None:
    assert load_cpu.group_of(command) == group


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse avx2 avx512f avx512_vnni", "AMD EPYC, AVX-512"), ("fpu sse avx2", "AMD EPYC")])
def test_the_processor_is_named_with_its_avx512(tmp_path: Path, flags: str, expected: str) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n\n"
                       f"processor\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n", encoding="utf-8")
    assert load_cpu.processor(cpuinfo) == expected
    assert load_cpu.processor(tmp_path / "absent") == "unknown"


def test_usage_counts_what_each_group_spent_between_two_snapshots() -> None:
    before = load_cpu.Snapshot({1: ("Rasa servers", 10.0), 2: ("PostgreSQL", 1.0), 3: ("other", 5.0)},
                               machine_busy=100.0, machine_total=400.0)
    after = load_cpu.Snapshot({1: ("Rasa servers", 14.0), 2: ("PostgreSQL", 1.5),
                               4: ("action servers", 0.5)},  # 3 ended, 4 started meanwhile
                              machine_busy=106.0, machine_total=420.0)
    cpu = load_cpu.usage(before, after, seconds=10.0, messages=50)
    assert cpu["cpu_seconds"] == {"Rasa servers": 4.0, "PostgreSQL": 0.5, "action servers": 0.5}
    assert cpu["machine_busy_percent"] == 30.0
    assert cpu["rasa_cpu_ms_per_message"] == 80.0
    assert "Rasa servers: 80.0 ms of CPU per message" in load_cpu.render(cpu)
    assert load_cpu.usage(None, after, 10.0, 50) is None
    assert "not measured" in load_cpu.render(None)


@pytest.mark.skipif(not Path("/proc/stat").is_file(), reason="needs Linux's /proc")
def test_a_busy_process_is_seen_spending_cpu() -> None:
    start = load_cpu.snapshot()
    end = time.process_time() + 0.5
    while time.process_time() < end:  # this test's own process, busy for 0.5 s of CPU
        pass
    after = load_cpu.snapshot()
    assert start is not None and after is not None
    cpu = load_cpu.usage(start, after, seconds=0.6, messages=1)
    assert sum(cpu["cpu_seconds"].values()) >= 0.4, cpu
    assert 0 < cpu["machine_busy_percent"] <= 100


RASA = "/srv/.venv/lib/python3.10/site-packages/rasa"
HANDLE = f"handle_message ({RASA}/core/agent.py:120)"
SAMPLES = [
    f"serve (sanic/app.py:1);{HANDLE};run ({RASA}/engine/runner/dask.py:9);"
    f"predict_action_probabilities ({RASA}/core/policies/ted_policy.py:700);call (tensorflow/x.py:3) 30",
    f"serve (sanic/app.py:1);{HANDLE};process ({RASA}/nlu/selectors/response_selector.py:500);"
    f"_predict ({RASA}/nlu/classifiers/diet_classifier.py:900) 10",
    f"serve (sanic/app.py:1);{HANDLE};process ({RASA}/nlu/classifiers/diet_classifier.py:880) 20",
    f"serve (sanic/app.py:1);{HANDLE};save ({RASA}/core/tracker_store.py:1300);"
    "commit (sqlalchemy/orm/session.py:1) 25",
    f"serve (sanic/app.py:1);{HANDLE};run ({RASA}/core/actions/action.py:780);"
    "request (aiohttp/client.py:1) 10",
    f"serve (sanic/app.py:1);{HANDLE};lock ({RASA}/core/lock_store.py:100) 5",
    "select (selectors.py:1) 400",  # idle loop: not a message
    "",
    "garbage",
]


def test_breakdown_splits_message_handling_by_part() -> None:
    result = load_profile.breakdown(SAMPLES)
    assert result["samples"] == 500 and result["handling_samples"] == 100
    assert result["shares_percent"] == {
        "policy: TEDPolicy": 30.0, "tracker store (PostgreSQL)": 25.0, "NLU: DIETClassifier": 20.0,
        "NLU: ResponseSelector": 10.0, "actions: forms, action server calls": 10.0, "lock store (Redis)": 5.0}
    line = load_profile.render(result)
    assert "policy: TEDPolicy 30 %" in line and "100 samples" in line


def test_py_spy_records_a_real_process_and_the_breakdown_reads_it(tmp_path: Path) -> None:
    if load_profile.py_spy() is None:
        pytest.skip("py-spy is not installed (requirements-dev.txt)")
    # py-spy names frames by module path, as it names the real server's "rasa/core/agent.py"
    script = tmp_path / "rasa" / "core" / "agent.py"
    script.parent.mkdir(parents=True)
    for package in (tmp_path / "rasa", tmp_path / "rasa" / "core"):
        (package / "__init__.py").write_text("")
    script.write_text("import time\n\ndef handle_message():\n    end = time.time() + 3\n"
                      "    while time.time() < end:\n        pass\n\nhandle_message()\n")
    child = subprocess.Popen([sys.executable, "-m", "rasa.core.agent"], cwd=tmp_path)
    try:
        time.sleep(0.3)
        out = tmp_path / "profile.txt"
        result = load_profile.finish(load_profile.record(child.pid, 2, out), out)
    finally:
        child.kill()
        child.wait()
    if "error" in result and "ermission" in str(result["error"]):
        pytest.skip(f"py-spy may not attach here: {result['error']}")
    assert "error" not in result, result
    assert result["handling_samples"] > 50
    assert result["shares_percent"] == {"other": 100.0}
