"""The processes of the production configuration on one machine, started and watched.

``Deployment.start()`` prepares the databases, then starts nginx, two action
servers, two Rasa servers and the web server, each waited for until healthy.
Tests use the same object to stop, kill, freeze and restart single processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import requests

from production import nginx
from production.environment import ROOT, Ports, ensure_database, tracker_url

RASA = str(Path(sys.executable).with_name("rasa"))
# `rasa` with RASA_AUTH_TOKEN read from the environment, not shown on the command line.
RASA_SERVER = [sys.executable, "-m", "production.rasa_server"]
ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"
LOGGING = ROOT / "privacy" / "logging.yml"


class StartError(RuntimeError):
    """A process exited or did not become healthy in time."""


@dataclass
class Process:
    """One server: its command, its health URL and its log file."""

    name: str
    args: List[str]
    health: str
    log: Path
    env: Mapping[str, str] = field(repr=False)  # holds secrets
    popen: Optional[subprocess.Popen] = None

    def start(self) -> None:
        with self.log.open("a", encoding="utf-8") as log:
            self.popen = subprocess.Popen(self.args, cwd=ROOT, env=dict(self.env), stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_healthy(self, seconds: float) -> None:
        """Returns once the health URL answers 200; raises with the log's end otherwise."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.running:
                raise StartError(f"{self.name} exited:\n{self.tail()}")
            try:
                if requests.get(self.health, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise StartError(f"{self.name} not healthy after {seconds:g} s:\n{self.tail()}")

    def tail(self, size: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-size:] if self.log.exists() else ""

    def signal(self, number: int) -> None:
        if self.running:
            assert self.popen is not None
            os.killpg(self.popen.pid, number)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if not self.running:
            return
        assert self.popen is not None
        self.signal(signal.SIGCONT)  # a frozen process cannot stop
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)

    def kill(self) -> None:
        """Dies at once, as in a crash (SIGKILL)."""
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(10)

    def freeze(self) -> None:
        """Stops answering without closing its connections (SIGSTOP): a hung server."""
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)


@dataclass
class Deployment:
    """nginx, the action servers, the Rasa servers (two of each by default) and the web server."""

    env: Dict[str, str] = field(repr=False)  # holds secrets
    state: Path
    model: Path
    ports: Ports = field(default_factory=Ports)
    action_timeout: float = 3.0
    processes: Dict[str, Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        ports, host = self.ports, "127.0.0.1"
        logs = self.state / "logs"
        logs.mkdir(exist_ok=True)
        self.env.setdefault("RASA_URL", f"http://{host}:{ports.rasa}")
        conf = nginx.write_config(self.state / "nginx", ports, self.action_timeout, host)
        self._add("nginx", ["nginx", "-c", str(conf), "-p", str(self.state / "nginx")],
                  f"http://{host}:{ports.actions}/health", logs)
        for index, port in enumerate(ports.action_servers, 1):
            command = [RASA, "run", "actions", "--actions", "actions", "--port", str(port), *self._logging()]
            self._add(f"actions-{index}", command, f"http://{host}:{port}/health", logs, SANIC_HOST=host)
        token = self.env["RASA_AUTH_TOKEN"]
        origins = [f"http://localhost:{ports.web}", f"http://{host}:{ports.web}"]
        for index, port in enumerate(ports.rasa_servers, 1):
            self._add(f"rasa-{index}", [
                *RASA_SERVER, "run", "--model", str(self.model), "--enable-api",
                "--interface", host, "--port", str(port), "--endpoints", str(ENDPOINTS),
                "--credentials", str(ROOT / "credentials.yml"), "--cors", *origins, *self._logging()],
                f"http://{host}:{port}/status?token={token}", logs)
        self._add("web", [sys.executable, str(ROOT / "web" / "server.py"), "--host", host,
                          "--port", str(ports.web)], f"http://{host}:{ports.web}/", logs)

    def _logging(self) -> List[str]:
        return ["--logging-config-file", str(LOGGING)] if LOGGING.is_file() else []

    def _add(self, name: str, args: List[str], health: str, logs: Path, **extra: str) -> None:
        self.processes[name] = Process(name, args, health, logs / f"{name}.log", {**self.env, **extra})

    def prepare_databases(self) -> None:
        """Creates the PostgreSQL databases if missing and the shop's tables with the demo data."""
        from actions import db
        from actions.seed import schema_is_current, seed

        ensure_database(self.env["DATABASE_URL"])
        ensure_database(tracker_url(self.env))
        engine = db.make_engine(self.env["DATABASE_URL"])
        try:
            seed(engine, reset=not schema_is_current(engine))
        finally:
            engine.dispose()

    def start(self, rasa_seconds: float = 240) -> None:
        """Starts every process in order; stops them all if one fails."""
        try:
            self.prepare_databases()
            self.processes["nginx"].start()
            self._start_group(self._named("actions-"), 90)
            self.processes["nginx"].wait_healthy(10)
            self._start_group(self._named("rasa-"), rasa_seconds)
            self._start_group(["web"], 30)
        except BaseException:
            self.stop()
            raise

    def _named(self, prefix: str) -> List[str]:
        return [name for name in self.processes if name.startswith(prefix)]

    def _start_group(self, names: List[str], seconds: float) -> None:
        for name in names:
            self.processes[name].start()
        for name in names:
            self.processes[name].wait_healthy(seconds)

    def restart(self, name: str, seconds: float = 240) -> None:
        """Stops (if needed) and starts one process again, waiting until it is healthy."""
        process = self.processes[name]
        process.stop()
        process.start()
        process.wait_healthy(seconds)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
