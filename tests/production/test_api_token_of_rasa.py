"""Rasa's HTTP API answers only with the token, and no process list shows that token."""

from __future__ import annotations

from pathlib import Path

import requests


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_the_rasa_servers_answer_only_with_the_token_and_never_show_it(production) -> None:
    token = production.deployment.env["RASA_AUTH_TOKEN"]
    for name in ("rasa-1", "rasa-2"):
        process = production.deployment.processes[name]
        assert process.running, f"{name} is not running"
        shown = command_line(process.popen.pid)
        assert "production.rasa_server run" in shown and token not in shown, shown
        base = production.server_url(name)
        for given, status in ((None, 401), ("not-the-token", 401), (token, 200)):
            params = {"token": given} if given else {}
            assert requests.get(f"{base}/status", params=params, timeout=10).status_code == status
