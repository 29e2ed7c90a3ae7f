"""What ``make bench-load`` measures, started for real on this machine (``bench/load.py``).

- ``one``: Colibri's production configuration (``production.deployment``) with one Rasa
  server and one action server: PostgreSQL tracker store, Redis lock store, RabbitMQ
  event broker, the shop's database on PostgreSQL, nginx in front of the action server
  (answering for it after 3 s). The customers write to the Rasa server itself.
- ``two``: the same with two Rasa servers and two action servers; the customers write to
  nginx, which spreads them over the Rasa servers (``make run-prod``'s layout).
- ``starter``: Rasa's starter bot (``bench/starter_bot.py``) on the same parts (its own
  tracker database on PostgreSQL, the Redis lock store, RabbitMQ), REST channel only; it has
  no custom action.

Each target gets throw-away databases on the machine's PostgreSQL
(``colibri_bench_<run>_<target>_{tracker,shop}``, seeded with the contract's demo data by
the deployment) and its own RabbitMQ queue, dropped when it stops (``--keep`` keeps the
databases). The carrier's API is the La Poste simulator, in a process of its own so the
load generator's process does not share its interpreter; e-mails go to the local mail
sink. Logs stay in ``var/bench/load/<run>/<target>/logs/``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Pattern, Sequence

import yaml
from sqlalchemy.engine import make_url

from bench import load_scripts, starter_bot
from production import models, throwaway
from production.deployment import ENDPOINTS, LOGGING, RASA_SERVER, Deployment, Process
from production.environment import ROOT, Ports, ensure_database, production_env, tracker_url
from simulators import free_port, mail_sink

STATE = ROOT / "var" / "bench" / "load"
CARRIER_KEY = "bench-key"
# Replies that are apologies, not answers: Colibri's (an action server that did not answer,
# an error caught by an action, the carrier unreachable) and channels/failsafe.py's.
APOLOGY_RESPONSES = ("utter_actions_unavailable", "utter_service_error", "utter_carrier_unavailable",
                     "utter_parcel_unavailable")
TARGET_LABELS = {
    "one": "Colibri, 1 Rasa server",
    "two": "Colibri, 2 Rasa servers behind nginx",
    "starter": "Rasa starter bot (rasa init), 1 server",
}


class BenchSetupError(RuntimeError):
    """A service the benchmark needs is absent, or a target did not start."""


def template_pattern(template: str) -> Pattern[str]:
    """A response text with ``{slot}`` placeholders, as a regex matching any filled version."""
    parts = re.split(r"\{[^{}]+\}", template.strip())
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def apology_patterns(domain: Path = ROOT / "domain.yml") -> List[Pattern[str]]:
    """Every text of ``APOLOGY_RESPONSES`` in the domain, and failsafe's apologies."""
    responses = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}).get("responses") or {}
    texts = [variant["text"] for name in APOLOGY_RESPONSES for variant in responses.get(name) or []
             if isinstance(variant, dict) and variant.get("text")]
    with contextlib.suppress(ImportError):
        from channels.failsafe import APOLOGIES

        texts.extend(APOLOGIES)
    return [template_pattern(t) for t in texts]


def check_services(env: Dict[str, str]) -> None:
    """PostgreSQL, Redis, RabbitMQ and nginx must be there; says which is missing."""
    missing = []
    for name, host, port in (("PostgreSQL", env["TRACKER_DB_HOST"], env["TRACKER_DB_PORT"]),
                             ("Redis", env["REDIS_HOST"], env["REDIS_PORT"]),
                             ("RabbitMQ", env["RABBITMQ_HOST"], env["RABBITMQ_PORT"])):
        try:
            socket.create_connection((host, int(port)), timeout=3).close()
        except OSError as error:
            missing.append(f"{name} at {host}:{port} ({error})")
    if not any(Path(p).is_file() for p in ("/usr/sbin/nginx", "/usr/bin/nginx")):
        missing.append("nginx (make nginx installs Debian's nginx-light)")
    if missing:
        raise BenchSetupError("needed for the benchmark: " + "; ".join(missing))


def newest_model() -> Path:
    """Colibri's newest trained model; a ``BenchSetupError`` if there is none."""
    model = models.newest_model()
    if model is None:
        raise BenchSetupError(models.NO_MODEL)
    return model


@dataclass
class Shared:
    """What every target of a run uses: the run id, the carrier simulator, the mail sink."""

    run: str
    state: Path
    carrier: Optional[subprocess.Popen] = None
    carrier_url: str = ""
    smtp: object = None
    smtp_port: int = 0

    def start(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = (self.state / "carrier.log").open("a", encoding="utf-8")
        self.carrier = subprocess.Popen(
            [sys.executable, "-m", "simulators.laposte", "--port", str(port), "--key", CARRIER_KEY],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.carrier_url = f"http://127.0.0.1:{port}"
        wait_port("127.0.0.1", port, 20, self.carrier)
        self.smtp_port = free_port()
        self.smtp = mail_sink.start(self.smtp_port, spool=self.state / "mail")

    def stop(self) -> None:
        if self.carrier is not None and self.carrier.poll() is None:
            self.carrier.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.carrier.wait(10)
        if self.smtp is not None:
            with contextlib.suppress(Exception):
                self.smtp.stop()


def wait_port(host: str, port: int, seconds: float, process: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchSetupError(f"the process for port {port} exited ({process.returncode})")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise BenchSetupError(f"nothing listens on {host}:{port} after {seconds:g} s")


@dataclass
class Running:
    """A started target: where customers write, where its conversations are kept, how to stop it."""

    name: str
    label: str
    url: str
    tracker_url: str
    scripts: Sequence[load_scripts.Script]
    apologies: List[Pattern[str]]
    logs: Path
    servers: int
    stop: Callable[[], None] = field(repr=False, default=lambda: None)
    rasa_pids: List[int] = field(default_factory=list)  # for --profile


def target_env(shared: Shared, name: str, ports: Ports, state: Path) -> Dict[str, str]:
    """The production variables for one target: its databases, its queue, the simulators."""
    base = {k: v for k, v in os.environ.items() if k not in ("TRACKER_STORE_URL", "DATABASE_URL")}
    prefix = f"colibri_bench_{shared.run}_{name}"
    env = production_env(ports, state, base={
        **base, "TRACKER_DB_NAME": f"{prefix}_tracker", "RABBITMQ_QUEUE": prefix,
        "CARRIER_API_URL": shared.carrier_url, "CARRIER_API_KEY": CARRIER_KEY,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(shared.smtp_port), "RASA_TELEMETRY_ENABLED": "false"})
    env["DATABASE_URL"] = make_url(tracker_url(env)).set(database=f"{prefix}_shop").render_as_string(
        hide_password=False)
    return env


def cleanup(env: Dict[str, str], keep: bool, *urls: str) -> None:
    """Deletes the target's RabbitMQ queue and, unless ``keep``, its databases ``urls``."""
    throwaway.delete_queue(env)
    if not keep:
        with contextlib.suppress(Exception):
            throwaway.drop_databases(*urls, login_database=env.get("TRACKER_DB_LOGIN_DB") or "postgres")


def start_colibri(shared: Shared, name: str, servers: int, model: Path, keep: bool = False,
                  rasa_seconds: float = 420) -> Running:
    """Colibri's production deployment with ``servers`` Rasa servers and as many action servers."""
    state = shared.state / name
    ports = throwaway.free_ports(servers)
    env = target_env(shared, name, ports, state)
    check_services(env)
    deployment = Deployment(env, state, model, ports)
    print(f"==> starting {TARGET_LABELS[name]} (logs in {state / 'logs'})", flush=True)
    try:
        deployment.start(rasa_seconds=rasa_seconds)
    except BaseException:
        cleanup(env, keep, env["TRACKER_STORE_URL"], env["DATABASE_URL"])
        raise
    # One server: the Rasa server itself (nginx stays in front of the action server); two: nginx.
    url = deployment.processes["rasa-1"].health.split("/status")[0] if servers == 1 else env["RASA_URL"]

    def stop() -> None:
        deployment.stop()
        cleanup(env, keep, env["TRACKER_STORE_URL"], env["DATABASE_URL"])

    pids = [p.popen.pid for n, p in deployment.processes.items() if n.startswith("rasa-") and p.popen]
    return Running(name, TARGET_LABELS[name], url, env["TRACKER_STORE_URL"], load_scripts.COLIBRI_SCRIPTS,
                   apology_patterns(), state / "logs", servers, stop, pids)


def start_starter(shared: Shared, keep: bool = False, retrain: bool = False,
                  rasa_seconds: float = 300) -> Running:
    """Rasa's starter bot on one Rasa server, with the production tracker, lock store and broker."""
    model = starter_bot.ensure_model(retrain=retrain)
    name, host = "starter", "127.0.0.1"
    state = shared.state / name
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    ports = Ports(rasa=port, actions=free_port(), web=free_port(), rasa_servers=(port,),
                  action_servers=(free_port(),))
    env = target_env(shared, name, ports, state)
    check_services(env)
    credentials = state / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    token = env["RASA_AUTH_TOKEN"]
    logging_args = ["--logging-config-file", str(LOGGING)] if LOGGING.is_file() else []
    process = Process("rasa-starter", [
        *RASA_SERVER, "run", "--model", str(model), "--enable-api", "--interface", host,
        "--port", str(port), "--endpoints", str(ENDPOINTS), "--credentials", str(credentials), *logging_args],
        f"http://{host}:{port}/status?token={token}", logs / "rasa-starter.log", env)
    print(f"==> starting {TARGET_LABELS[name]} (logs in {logs})", flush=True)
    ensure_database(env["TRACKER_STORE_URL"])
    try:
        process.start()
        process.wait_healthy(rasa_seconds)
    except BaseException:
        process.stop()
        cleanup(env, keep, env["TRACKER_STORE_URL"])
        raise

    def stop() -> None:
        process.stop()
        cleanup(env, keep, env["TRACKER_STORE_URL"])

    return Running(name, TARGET_LABELS[name], f"http://{host}:{port}", env["TRACKER_STORE_URL"],
                   load_scripts.STARTER_SCRIPTS, [], logs, 1, stop)


def start_target(name: str, shared: Shared, model: Optional[Path], keep: bool,
                 retrain_starter: bool) -> Running:
    if name == "starter":
        return start_starter(shared, keep, retrain_starter)
    assert model is not None
    return start_colibri(shared, name, {"one": 1, "two": 2}[name], model, keep)
