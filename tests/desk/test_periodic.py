"""The web server's background jobs keep running after a failure, and stop when asked."""

from __future__ import annotations

import threading

from desk import periodic


def test_a_job_runs_again_after_failing_and_stops_when_asked(monkeypatch, caplog) -> None:
    monkeypatch.setenv("TEST_JOB_EVERY", "0.2")
    runs, third = [], threading.Event()

    def job() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the database is away")
        if len(runs) == 3:
            third.set()

    stop = periodic.start("test-job", "TEST_JOB_EVERY", 30.0, job)
    try:
        assert third.wait(10), "the job stopped after its failure"
    finally:
        stop.set()
    assert any("test-job failed" in record.getMessage() for record in caplog.records)
    count = len(runs)
    threading.Event().wait(0.6)
    assert len(runs) <= count + 1  # stopped (one run may have been under way)
