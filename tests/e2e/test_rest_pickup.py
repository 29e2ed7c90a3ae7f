"""The REST channel's pickup route (channels/rest_pickup.py), where a customer on
REST reads the messages pushed after the webhook answered, like an advisor's.

In process, on real tracker stores (in memory and SQLite): which messages, in
which shape, how many, and the errors. Against the real Rasa server (a trained
model in ``models/``): an advisor's message appended through the HTTP API with
``output_channel=latest`` is picked up, and bad input gets 400.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Dict, List

import pytest
import requests
from rasa.core.channels.channel import register
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic
from sanic.compat import Header
from sanic.request import Request

from channels.rest_pickup import MAX_MESSAGES, RestWithPickup, pickup

T = 1_700_000_000.0
SENDER = "client-42"
ADVISOR = "Bonjour, ici Julie, conseillère Colibri : je reprends votre demande."
BUTTONS = [{"title": "Suivre un colis", "payload": "/track_order"}]
BAD_QUERIES = {
    "no sender": {"since": "0"},
    "empty sender": {"sender": "", "since": "0"},
    "sender too long": {"sender": "x" * 256},
    "since not a number": {"sender": SENDER, "since": "hier"},
    "since nan": {"sender": SENDER, "since": "nan"},
    "since inf": {"sender": SENDER, "since": "inf"},
    "since -inf": {"sender": SENDER, "since": "-inf"},
    "since overflows": {"sender": SENDER, "since": "1e400"},
}


def session_start(at: float) -> List[Event]:
    return [ActionExecuted("action_session_start", timestamp=at), SessionStarted(timestamp=at),
            ActionExecuted("action_listen", timestamp=at)]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path) -> TrackerStore:
    """An empty tracker store, of each kind the route must work with."""
    if request.param == "memory":
        return InMemoryTrackerStore(Domain.empty())
    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))


def save(store: TrackerStore, sender: str, events: List[Event]) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def get(store: TrackerStore, params: Dict[str, str]) -> tuple[int, Any]:
    """``GET /webhooks/rest/messages`` through the route's handler on a real Sanic request."""
    app = Sanic(f"pickup_{uuid.uuid4().hex}")
    app.ctx.agent = type("Agent", (), {"tracker_store": store})()
    query = "&".join(f"{name}={value}" for name, value in params.items())
    request = Request(f"/webhooks/rest/messages?{query}".encode(), Header(), "1.1", "GET", None, app)
    answer = asyncio.run(pickup(request))
    return answer.status, json.loads(answer.body)


def test_the_channel_keeps_the_rest_name_and_adds_one_route():
    channel = RestWithPickup.from_credentials(None)
    assert channel.name() == "rest"
    app = Sanic(f"routes_{uuid.uuid4().hex}")
    register([channel], app, route="/webhooks/")
    app.router.finalize()
    routes = {(route.path, method) for route in app.router.routes for method in route.methods}
    assert routes == {("webhooks/rest", "GET"), ("webhooks/rest/webhook", "POST"),
                      ("webhooks/rest/messages", "GET")}


def test_bot_messages_after_since_shaped_like_the_webhook_replies(store):
    save(store, SENDER, [
        *session_start(T),
        UserUttered("bonjour", timestamp=T + 1),
        BotUttered("Bonjour !\n\nJe suis Colibri.", timestamp=T + 2),
        BotUttered("Que puis-je faire pour vous ?", {"buttons": BUTTONS}, timestamp=T + 3),
        *session_start(T + 100),  # an earlier session's messages are still there
        BotUttered("Voici votre colis", {"image": "https://shop.test/colis.png"}, timestamp=T + 101),
        BotUttered(None, {"custom": {"advisor": "Julie"}}, timestamp=T + 102),
    ])
    status, messages = get(store, {"sender": SENDER, "since": "0"})
    assert status == 200
    assert messages == [
        {"recipient_id": SENDER, "text": "Bonjour !", "timestamp": T + 2},
        {"recipient_id": SENDER, "text": "Je suis Colibri.", "timestamp": T + 2},
        {"recipient_id": SENDER, "text": "Que puis-je faire pour vous ?", "buttons": BUTTONS,
         "timestamp": T + 3},
        {"recipient_id": SENDER, "text": "Voici votre colis", "timestamp": T + 101},
        {"recipient_id": SENDER, "image": "https://shop.test/colis.png", "timestamp": T + 101},
        {"recipient_id": SENDER, "custom": {"advisor": "Julie"}, "timestamp": T + 102},
    ]
    assert get(store, {"sender": SENDER}) == (200, messages)  # since defaults to 0
    assert [m["timestamp"] for m in get(store, {"sender": SENDER, "since": str(T + 2)})[1]] == [
        T + 3, T + 101, T + 101, T + 102]  # strictly after since
    assert get(store, {"sender": SENDER, "since": str(T + 102)}) == (200, [])


def test_at_most_100_messages_oldest_first_and_never_half_an_event(store):
    events: List[Event] = [*session_start(T)]
    events += [BotUttered(f"message {i}", timestamp=T + 1 + i) for i in range(MAX_MESSAGES - 1)]
    events += [BotUttered("partie 1\n\npartie 2", timestamp=T + 1000)]  # two items: would be 101
    events += [BotUttered(f"suite {i}", timestamp=T + 2000 + i) for i in range(3)]
    save(store, SENDER, events)
    status, first = get(store, {"sender": SENDER, "since": "0"})
    assert status == 200 and len(first) == MAX_MESSAGES - 1
    assert [m["text"] for m in first] == [f"message {i}" for i in range(MAX_MESSAGES - 1)]
    _, second = get(store, {"sender": SENDER, "since": repr(first[-1]["timestamp"])})
    assert [m["text"] for m in second] == ["partie 1", "partie 2", "suite 0", "suite 1", "suite 2"]

    save(store, "bavard", [*session_start(T)] + [BotUttered(f"n°{i}", timestamp=T + 1 + i)
                                                  for i in range(MAX_MESSAGES + 5)])
    _, page = get(store, {"sender": "bavard", "since": "0"})
    assert [m["text"] for m in page] == [f"n°{i}" for i in range(MAX_MESSAGES)]
    _, rest = get(store, {"sender": "bavard", "since": repr(page[-1]["timestamp"])})
    assert [m["text"] for m in rest] == [f"n°{i}" for i in range(MAX_MESSAGES, MAX_MESSAGES + 5)]


def test_unknown_sender_gets_an_empty_list(store):
    assert get(store, {"sender": "personne", "since": "0"}) == (200, [])
    assert get(store, {"sender": "x" * 255}) == (200, [])  # the longest sender accepted


@pytest.mark.parametrize("params", BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_bad_input_gets_400_with_the_reason(params):
    status, body = get(InMemoryTrackerStore(Domain.empty()), params)
    assert status == 400
    assert set(body) == {"error"} and body["error"]


# Against the real Rasa server.


def push(assistant, sender: str, text: str) -> dict:
    """What the agent desk does: a bot event, sent through the latest input channel."""
    answer = requests.post(f"{assistant.rasa_url}/conversations/{sender}/tracker/events",
                           params={"token": assistant.token, "execute_side_effects": "true",
                                   "output_channel": "latest"},
                           json={"event": "bot", "text": text}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def pick_up(assistant, **params: Any) -> requests.Response:
    return requests.get(f"{assistant.rasa_url}/webhooks/rest/messages", params=params, timeout=10)


@pytest.mark.e2e
def test_advisor_message_pushed_later_is_picked_up(assistant):
    say = assistant.conversation()
    greeting = say("bonjour")
    assert greeting
    before = time.time()
    tracker = push(assistant, say.sender, ADVISOR)
    assert tracker["latest_input_channel"] == "rest"

    answer = pick_up(assistant, sender=say.sender, since=before)
    assert answer.status_code == 200, answer.text[:500]
    (message,) = answer.json()
    assert message["text"] == ADVISOR and message["recipient_id"] == say.sender
    assert message["timestamp"] > before

    everything = pick_up(assistant, sender=say.sender, since=0).json()
    assert [{k: v for k, v in m.items() if k != "timestamp"} for m in everything] == [
        *greeting, {"recipient_id": say.sender, "text": ADVISOR}]
    stamps = [m["timestamp"] for m in everything]
    assert stamps == sorted(stamps)
    assert pick_up(assistant, sender=f"inconnu-{uuid.uuid4().hex}").json() == []


@pytest.mark.e2e
@pytest.mark.parametrize("params", BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_bad_input_gets_400_from_the_server(assistant, params):
    answer = pick_up(assistant, **params)
    assert answer.status_code == 400, answer.text[:500]
    assert answer.json()["error"]
