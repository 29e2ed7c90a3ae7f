"""The action server's door: rasa-sdk started as in production, called with and without the token."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests

from production.deployment import Process, StartError
from simulators import free_port

ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).with_name("rasa"))
TOKEN = "jeton-du-serveur-d-actions"
CALL = {"next_action": "action_thank", "sender_id": "porte", "version": "3.6.21",
        "tracker": {"sender_id": "porte", "slots": {}, "latest_message": {}, "events": [],
                    "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen"},
        "domain": {}}


def action_server(tmp_path: Path, **env: str) -> Process:
    port = free_port()
    process = Process("actions", [RASA, "run", "actions", "--actions", "actions", "--port", str(port)],
                      f"http://127.0.0.1:{port}/health", tmp_path / "actions.log",
                      {**os.environ, "SANIC_HOST": "127.0.0.1",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}", **env})
    process.start()
    return process


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = action_server(tmp_path_factory.mktemp("guarded"), ACTION_SERVER_TOKEN=TOKEN)
    try:
        process.wait_healthy(90)
        yield process.health.rsplit("/", 1)[0]
    finally:
        process.stop()


def test_a_call_without_the_token_is_refused_and_runs_nothing(guarded: str) -> None:
    reply = requests.post(f"{guarded}/webhook", json=CALL, timeout=10)
    assert reply.status_code == 401
    assert reply.json() == {"error": "missing or wrong token"}


@pytest.mark.parametrize("token", ["mauvais", TOKEN + "x", TOKEN[:-1], ""])
def test_a_wrong_token_is_refused(guarded: str, token: str) -> None:
    reply = requests.post(f"{guarded}/webhook", params={"token": token}, json=CALL, timeout=10)
    assert reply.status_code == 401
    assert requests.get(f"{guarded}/actions", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 401


def test_rasa_s_token_parameter_runs_the_action(guarded: str) -> None:
    """Rasa sends ``action_endpoint.token`` as ``?token=``: the action runs and answers."""
    reply = requests.post(f"{guarded}/webhook", params={"token": TOKEN}, json=CALL, timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.json()["responses"], "action_thank says something"


def test_a_bearer_token_lists_the_actions(guarded: str) -> None:
    reply = requests.get(f"{guarded}/actions", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert reply.status_code == 200
    assert {"name": "action_thank"} in reply.json()


def test_health_stays_open_for_load_balancers(guarded: str) -> None:
    assert requests.get(f"{guarded}/health", timeout=10).json() == {"status": "ok"}


def test_production_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    process = action_server(tmp_path, COLIBRI_ENV="production", ACTION_SERVER_TOKEN="")
    with pytest.raises(StartError):
        process.wait_healthy(90)
    assert process.popen is not None
    assert process.popen.wait(10) != 0
    assert "ACTION_SERVER_TOKEN" in process.tail()


