"""A message pushed through the HTTP API reaches a customer on socket.io.

Rasa 3.6's socket.io channel joins the socket to its session's room without
awaiting ``AsyncServer.enter_room`` (RasaHQ/rasa#13027). From python-socketio
5.10 on that is a coroutine, so the socket never joins and nothing emitted to the
room arrives: neither the bot's replies nor an advisor's pushed messages.
constraints.txt pins python-socketio 5.9.0, the last release where it is not.
"""

from __future__ import annotations

import inspect
import queue
import uuid

import pytest
import requests
import socketio
from chat_helpers import next_text

ADVISOR = "Bonjour, ici Julie, conseillère Colibri : je reprends votre demande."


def test_the_installed_socketio_lets_rasa_join_rooms():
    assert not inspect.iscoroutinefunction(socketio.AsyncServer.enter_room), (
        "python-socketio >= 5.10 makes AsyncServer.enter_room a coroutine, which Rasa 3.6 "
        "does not await (RasaHQ/rasa#13027): keep python-socketio==5.9.0 in constraints.txt")


@pytest.mark.e2e
def test_advisor_message_reaches_the_socket(assistant):
    session = f"e2e-sio-{uuid.uuid4().hex[:10]}"
    received: queue.Queue = queue.Queue()
    confirmed: queue.Queue = queue.Queue()
    client = socketio.Client()
    client.on("bot_uttered", received.put)
    client.on("session_confirm", confirmed.put)
    # Polling: the websocket transport of the sync client needs websocket-client.
    client.connect(assistant.rasa_url, transports=["polling"], wait_timeout=10)
    try:
        client.emit("session_request", {"session_id": session})
        assert confirmed.get(timeout=10) == session
        client.emit("user_uttered", {"message": "bonjour", "session_id": session})
        assert next_text(received, None, 60), "no reply: the socket is not in its session's room"

        answer = requests.post(f"{assistant.rasa_url}/conversations/{session}/tracker/events",
                               params={"token": assistant.token, "execute_side_effects": "true",
                                       "output_channel": "latest"},
                               json={"event": "bot", "text": ADVISOR}, timeout=30)
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["latest_input_channel"] == "socketio"
        assert next_text(received, ADVISOR, 15) == {"text": ADVISOR}
    finally:
        client.disconnect()
