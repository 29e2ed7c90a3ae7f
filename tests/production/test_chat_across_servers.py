"""A web chat customer connected to one Rasa server receives an advisor's message pushed
through the other one: the servers share socket.io's rooms through Redis."""

from __future__ import annotations

import queue
import uuid

import pytest
import requests
import socketio
from chat_helpers import next_text

pytestmark = pytest.mark.e2e

ADVISOR = "Bonjour, ici Karim du service client : je prends la suite."


def test_an_advisor_message_pushed_through_the_other_server_reaches_the_socket(production) -> None:
    session = f"prod-sio-{uuid.uuid4().hex[:10]}"
    received: queue.Queue = queue.Queue()
    confirmed: queue.Queue = queue.Queue()
    client = socketio.Client()
    client.on("bot_uttered", received.put)
    client.on("session_confirm", confirmed.put)
    client.connect(production.server_url("rasa-1"), transports=["polling"], wait_timeout=10)
    try:
        client.emit("session_request", {"session_id": session})
        assert confirmed.get(timeout=10) == session
        client.emit("user_uttered", {"message": "bonjour", "session_id": session})
        assert next_text(received, None, 60), "no reply on the socket"

        token = production.deployment.env["RASA_AUTH_TOKEN"]
        answer = requests.post(f"{production.server_url('rasa-2')}/conversations/{session}/tracker/events",
                               params={"token": token, "execute_side_effects": "true",
                                       "output_channel": "latest"},
                               json={"event": "bot", "text": ADVISOR}, timeout=30)
        assert answer.status_code == 200, answer.text[:500]
        assert next_text(received, ADVISOR, 15) == {"text": ADVISOR}
    finally:
        client.disconnect()
