"""Real processes for end-to-end tests: the action server and the Rasa server.

They run on free loopback ports with their own SQLite shop database and tracker
store, the La Poste simulator as the carrier and a local SMTP server whose
inbox the tests read. The trained model is the
newest one in ``models/`` (``make train``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests
from services import require_model
from shop_policies import write_policies
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from actions import db
from actions.seed import seed
from desk import passwords
from production.deployment import RASA_SERVER
from simulators import free_port, graph_api, mail_sink
from simulators.laposte import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).with_name("rasa"))


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds} s:\n{log.read_text()[-3000:]}")


@dataclass
class Assistant:
    """The running assistant, as a customer and an operator reach it."""

    rasa_url: str
    token: str
    shop_url: str
    inbox: mail_sink.Inbox
    tracker_url: str  # SQLAlchemy URL of the Rasa server's SQLite tracker store
    desk_url: str  # the web server: chat page and advisors' desk
    policies: Path  # the shop's policies file the action server reads (advisors' hours)
    logs: Dict[str, Path] = field(default_factory=dict)
    advisor_password: str = "mot-de-passe-e2e"  # every advisor of the test accounts
    desk_keeper: Any = None  # Léa, who keeps the desk open (DeskKeeper)
    graph: Any = None  # the Graph API simulator Messenger replies reach (GraphApiSimulator)
    messenger_secret: str = "e2e-messenger-app-secret"
    messenger_verify: str = "e2e-messenger-verify-token"
    proactive_token: str = "e2e-proactive-token"  # the shop's systems' bearer token

    def advisors_hours(self, open: bool) -> None:
        """Opens or closes the advisors' hours (the action server re-reads the file)."""
        value = "00:00-24:00" if open else "fermé"
        write_policies(self.policies, weekdays=value, saturday=value, sunday=value)
        os.utime(self.policies, ns=(time.time_ns() + 1_000_000_000,) * 2)

    def desk(self, username: str = "julie") -> requests.Session:
        """An advisor signed in to the desk: a requests session with the desk's cookie."""
        session = requests.Session()
        reply = session.post(f"{self.desk_url}/desk/api/login", timeout=10,
                             json={"username": username, "password": self.advisor_password})
        assert reply.status_code == 200, reply.text
        return session

    def conversation(self) -> Callable[[str], List[dict]]:
        """A new customer on the REST channel: ``say(text)`` returns the bot's messages."""
        sender = f"e2e-{uuid.uuid4().hex[:10]}"

        def say(text: str) -> List[dict]:
            response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                     json={"sender": sender, "message": text}, timeout=30)
            assert response.status_code == 200, response.text[:500]
            return response.json()

        say.sender = sender  # type: ignore[attr-defined]
        return say

    def shop(self, statement: Any) -> Any:
        """Reads the shop's database as it is now: the one scalar ``statement`` selects."""
        engine = create_engine(self.shop_url, future=True)
        try:
            with Session(engine, future=True) as session:
                return session.execute(statement).scalar_one()
        finally:
            engine.dispose()

    def tracker(self, sender: str) -> dict:
        response = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                params={"token": self.token}, timeout=10)
        response.raise_for_status()
        return response.json()


class DeskKeeper:
    """An advisor with the desk open, as the page does: signed in, checking the queue every few
    seconds. ``stop()`` signs out (the advisor leaves), ``start()`` signs in again."""

    def __init__(self, assistant: Assistant, username: str) -> None:
        self.assistant, self.username = assistant, username
        self.halt = threading.Event()
        self.session: requests.Session | None = None

    def start(self) -> None:
        self.halt.clear()
        self.session = self.assistant.desk(self.username)
        url = f"{self.assistant.desk_url}/desk/api/queue"
        self.session.get(url, timeout=5)

        def poll(session: requests.Session = self.session) -> None:
            while not self.halt.wait(5):
                with contextlib.suppress(requests.RequestException):
                    session.get(url, timeout=5)

        threading.Thread(target=poll, daemon=True).start()

    def stop(self) -> None:
        self.halt.set()
        if self.session is not None:
            self.session.post(f"{self.assistant.desk_url}/desk/api/logout", json={}, timeout=5)


def write_advisors(path: Path) -> None:
    hashed = passwords.hash_password(Assistant.advisor_password, iterations=1000)
    path.write_text("advisors:\n" + "".join(
        f'  - {{username: {user}, name: {name}, password_hash: "{hashed}"}}\n'
        for user, name in (("julie", "Julie"), ("karim", "Karim"), ("lea", "Léa"))), encoding="utf-8")


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """Starts the carrier and Graph API simulators, the action server, the Rasa server and
    the web server.

    The advisors work around the clock (tests close the hours when they need to), and
    one advisor, Léa, keeps the desk open for the whole session."""
    model = require_model()
    work = tmp_path_factory.mktemp("assistant")
    shop_url = f"sqlite:///{work / 'shop.db'}"
    engine = db.make_engine(shop_url)
    seed(engine)
    engine.dispose()
    carrier, carrier_url = start_in_thread(port=0, key="e2e-key")
    graph, graph_url = graph_api.start_in_thread(token="e2e-page-token")
    smtp = mail_sink.start(free_port())
    action_port, rasa_port, web_port, token = free_port(), free_port(), free_port(), uuid.uuid4().hex
    action_token = uuid.uuid4().hex  # the action server answers only to this Rasa server
    policies = work / "policies.yml"
    write_policies(policies, weekdays="00:00-24:00", saturday="00:00-24:00", sunday="00:00-24:00")
    write_advisors(work / "advisors.yml")
    (work / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n  token: "{action_token}"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{work / "tracker.db"}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "DATABASE_URL": shop_url, "CARRIER_API_URL": carrier_url,
           "CARRIER_API_KEY": "e2e-key", "CARRIER_TIMEOUT": "2", "CARRIER_RETRIES": "1",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SHOP_URL": "https://shop.test",
           "SHOP_POLICIES": str(policies), "DESK_ADVISORS": str(work / "advisors.yml"),
           "RASA_URL": f"http://127.0.0.1:{rasa_port}", "RASA_AUTH_TOKEN": token,
           "ACTION_SERVER_TOKEN": action_token,
           # Waiting customers go back to Colibri 20 s after the last advisor left (Léa's page
           # checks in every 5 s and her last_seen is written every 10 s: never 20 s old).
           "DESK_ABANDON_AFTER": "20", "DESK_SWEEP_EVERY": "1",
           # Proactive messages: the shop's token; a return left unfinished is recalled after 5 s.
           "PROACTIVE_TOKEN": Assistant.proactive_token, "RETURN_REMINDER_AFTER": "5",
           # Messenger on, replying to the Graph API simulator (credentials.yml reads these).
           "MESSENGER_APP_SECRET": Assistant.messenger_secret,
           "MESSENGER_VERIFY_TOKEN": Assistant.messenger_verify,
           "MESSENGER_PAGE_TOKEN": "e2e-page-token", "MESSENGER_GRAPH_URL": graph_url,
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": str(ROOT)}  # Rasa imports the logging config's filter before adding the cwd
    processes: List[subprocess.Popen] = []
    running: Assistant | None = None
    logs = {"actions": work / "actions.log", "rasa": work / "rasa.log", "web": work / "web.log"}

    def start(args: List[str], log: Path) -> subprocess.Popen:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    try:
        masked = ["--logging-config-file", str(ROOT / "privacy" / "logging.yml")]  # as in production
        actions = start([RASA, "run", "actions", "--actions", "actions", "--port", str(action_port), *masked],
                        logs["actions"])
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, logs["actions"], 90)
        rasa = start([*RASA_SERVER, "run", "--model", str(model), "--port", str(rasa_port), "--enable-api",
                      "--endpoints", str(work / "endpoints.yml"),
                      "--credentials", str(ROOT / "credentials.yml"), *masked], logs["rasa"])
        wait_until_up(f"http://127.0.0.1:{rasa_port}/status?token={token}", rasa, logs["rasa"], 240)
        web = start([sys.executable, str(ROOT / "web" / "server.py"), "--port", str(web_port)], logs["web"])
        wait_until_up(f"http://127.0.0.1:{web_port}/", web, logs["web"], 30)
        running = Assistant(f"http://127.0.0.1:{rasa_port}", token, shop_url, smtp.handler,
                            f"sqlite:///{work / 'tracker.db'}", f"http://127.0.0.1:{web_port}",
                            policies, logs, graph=graph)
        running.desk_keeper = DeskKeeper(running, "lea")
        running.desk_keeper.start()
        yield running
    finally:
        if running is not None:
            running.desk_keeper.halt.set()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        carrier.stop()
        graph.stop()
        smtp.stop()

