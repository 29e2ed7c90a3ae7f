"""The Messenger channel (channels/messenger.py) against real HTTP on loopback.

The webhook runs in a real Sanic server, registered the way ``rasa run`` does it
(``rasa.core.channels.channel.register`` with the route ``/webhooks/``); the agent is
replaced by one that records the ``UserMessage`` objects Rasa would handle (the
``on_new_message`` contract) and can answer through their output channel. The output
channel talks to the local Graph API simulator (``simulators/graph_api.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import aiohttp
import pytest
import yaml
from rasa.core.channels.channel import UserMessage, register
from rasa.core.run import _create_single_channel
from rasa.shared.core.events import BotUttered
from sanic import Sanic

from channels.messenger import MessengerInput, MessengerOutput, signature_for, split_text
from simulators import free_port, graph_api

SECRET = "app-secret-for-tests"
VERIFY = "verify-token-for-tests"
TOKEN = "page-token-for-tests"
ROOT = Path(__file__).resolve().parents[2]
PAGE = "111111111111111"
USER = "2222222222222222"


@pytest.fixture
def graph() -> Iterator[graph_api.GraphApiSimulator]:
    server, _ = graph_api.start_in_thread(token=TOKEN)
    yield server
    server.stop()


def make_channel(graph: graph_api.GraphApiSimulator, token: str = TOKEN) -> MessengerInput:
    return _create_single_channel("channels.messenger.MessengerInput", {
        "verify": VERIFY, "secret": SECRET, "page-access-token": token,
        "graph_api_url": graph.base_url, "graph_api_version": "23.0",
    })


class RecordingAgent:
    """Stands for ``app.ctx.agent``: records messages, optionally answers them."""

    def __init__(self, reply: str | None = None) -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply:
            await message.output_channel.send_response(message.sender_id, {"text": self.reply})


def serve(channel: MessengerInput, agent: RecordingAgent,
          scenario: Callable[[aiohttp.ClientSession, str], Awaitable[Any]]) -> Any:
    """Runs ``scenario(session, webhook_url)`` against a real Sanic server."""

    async def main() -> Any:
        # test mode: Sanic rewrites its own methods at each startup ("touchup"), which
        # fails from the second app of a process unless it keeps the originals
        app = Sanic(f"messenger_test_{uuid.uuid4().hex}")
        app.ctx.agent = agent
        register([channel], app, route="/webhooks/")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                return await scenario(session, f"http://127.0.0.1:{port}/webhooks/facebook/webhook")
        finally:
            server.close()
            await server.wait_closed()

    test_mode = Sanic.test_mode
    Sanic.test_mode = True
    try:
        return asyncio.run(main())
    finally:
        Sanic.test_mode = test_mode


def event(**messaging: Any) -> bytes:
    body = {"object": "page", "entry": [{"id": PAGE, "time": 1700000000000, "messaging": [
        {"sender": {"id": USER}, "recipient": {"id": PAGE}, "timestamp": 1700000000000, **messaging}
    ]}]}
    return json.dumps(body).encode()


def post(body: bytes, headers: dict[str, str]) -> Callable[[aiohttp.ClientSession, str], Awaitable[Any]]:
    async def scenario(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
        async with session.post(url, data=body, headers={"Content-Type": "application/json", **headers}) as r:
            return r.status, await r.text()
    return scenario


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": signature_for(secret, body)}


# --- webhook: signature -------------------------------------------------------------

def test_signed_text_event_reaches_rasa_and_the_reply_reaches_messenger(graph) -> None:
    agent = RecordingAgent(reply="Bonjour, je suis Colibri.")
    body = event(message={"mid": "m_1", "text": "Où est mon colis ?"})
    status, _ = serve(make_channel(graph), agent, post(body, signed(body)))
    assert status == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in agent.messages] == [
        (USER, "Où est mon colis ?", "facebook")]
    assert graph.actions()[:2] == ["mark_seen", "typing_on"]
    assert [m["message"]["text"] for m in graph.messages()] == ["Bonjour, je suis Colibri."]
    assert graph.messages()[0]["recipient"] == {"id": USER}
    assert {c["path"] for c in graph.calls} == {"/v23.0/me/messages"}


def test_quick_reply_and_postback_payloads_are_the_text(graph) -> None:
    agent = RecordingAgent()
    quick = event(message={"mid": "m_2", "text": "Oui", "quick_reply": {"payload": "/affirm"}})
    postback = event(postback={"title": "Suivre", "payload": "/track_parcel"})
    serve(make_channel(graph), agent, post(quick, signed(quick)))
    serve(make_channel(graph), agent, post(postback, signed(postback)))
    assert [(m.sender_id, m.text) for m in agent.messages] == [(USER, "/affirm"), (USER, "/track_parcel")]


def test_every_event_of_a_batch_is_handled(graph) -> None:
    agent = RecordingAgent()
    body = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [
        {"sender": {"id": USER}, "recipient": {"id": PAGE}, "message": {"mid": "a", "text": "un"}},
        {"sender": {"id": "333"}, "recipient": {"id": PAGE}, "message": {"mid": "b", "text": "deux"}},
    ]}]}).encode()
    serve(make_channel(graph), agent, post(body, signed(body)))
    assert [(m.sender_id, m.text) for m in agent.messages] == [(USER, "un"), ("333", "deux")]


@pytest.mark.parametrize("headers", [
    pytest.param(lambda body: signed(body, secret="not-the-secret"), id="forged"),
    pytest.param(lambda body: {}, id="missing"),
    pytest.param(lambda body: {"X-Hub-Signature-256": "sha256="}, id="empty"),
    pytest.param(lambda body: signed(body + b" "), id="other-body"),
    pytest.param(lambda body: {"X-Hub-Signature": "sha1=" + hmac.new(
        SECRET.encode(), body, hashlib.sha1).hexdigest()}, id="sha1-only"),
    pytest.param(lambda body: {"X-Hub-Signature-256": "sha1=" + hmac.new(
        SECRET.encode(), body, hashlib.sha1).hexdigest()}, id="sha1-in-sha256-header"),
])
def test_bad_signatures_get_403_and_nothing_is_processed(graph, headers) -> None:
    agent = RecordingAgent(reply="ne doit pas partir")
    body = event(message={"mid": "m_3", "text": "forgé"})
    status, _ = serve(make_channel(graph), agent, post(body, headers(body)))
    assert status == 403
    assert agent.messages == []
    assert graph.calls == []


def test_without_an_app_secret_every_post_is_refused(graph) -> None:
    channel = MessengerInput(VERIFY, "", TOKEN, graph_api_url=graph.base_url)
    agent = RecordingAgent()
    body = event(message={"mid": "m_4", "text": "x"})
    status, _ = serve(channel, agent, post(body, signed(body, secret="")))
    assert status == 403 and agent.messages == []


MESSENGER_ENV = ("MESSENGER_VERIFY_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_PAGE_TOKEN",
                 "MESSENGER_GRAPH_URL", "MESSENGER_GRAPH_VERSION")


def test_credentials_yml_lists_messenger_with_values_from_the_environment(graph, monkeypatch) -> None:
    """What `rasa run --credentials credentials.yml` builds, with the variables ops set."""
    for name, value in zip(MESSENGER_ENV, (VERIFY, SECRET, TOKEN, graph.base_url, "22.0"), strict=True):
        monkeypatch.setenv(name, value)
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert credentials["channels.messenger.MessengerInput"] is None  # nothing written in git
    channel = _create_single_channel("channels.messenger.MessengerInput", None)
    assert channel.enabled
    agent = RecordingAgent(reply="Bonjour !")
    body = event(message={"mid": "m_env", "text": "bonjour"})
    status, _ = serve(channel, agent, post(body, signed(body)))
    assert status == 200 and [m.text for m in agent.messages] == ["bonjour"]
    assert {c["version"] for c in graph.calls} == {"22.0"}
    assert graph.messages()[-1]["message"]["text"] == "Bonjour !"


def test_a_value_in_the_credentials_file_wins_over_its_variable(graph, monkeypatch) -> None:
    monkeypatch.setenv("MESSENGER_APP_SECRET", "from-the-environment")
    channel = _create_single_channel("channels.messenger.MessengerInput", {
        "verify": VERIFY, "secret": SECRET, "page-access-token": TOKEN, "graph_api_url": graph.base_url})
    body = event(message={"mid": "m_file", "text": "x"})
    status, _ = serve(channel, RecordingAgent(), post(body, signed(body)))
    assert status == 200


def test_without_the_variables_messenger_is_off_and_refuses_everything(graph, monkeypatch, caplog) -> None:
    for name in MESSENGER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MESSENGER_APP_SECRET", SECRET)  # a secret alone is not enough
    with caplog.at_level(logging.WARNING, logger="channels.messenger"):
        channel = _create_single_channel("channels.messenger.MessengerInput", None)
    assert not channel.enabled
    assert "MESSENGER_VERIFY_TOKEN, MESSENGER_PAGE_TOKEN are set" in caplog.text
    agent = RecordingAgent(reply="ne doit pas partir")
    body = event(message={"mid": "m_off", "text": "bonjour"})
    status, _ = serve(channel, agent, post(body, signed(body)))
    assert status == 403 and agent.messages == [] and graph.calls == []
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"}
    assert serve(channel, RecordingAgent(), verification(params))[0] == 403


def test_signed_but_not_json_is_400(graph) -> None:
    agent = RecordingAgent()
    body = b"not json"
    status, _ = serve(make_channel(graph), agent, post(body, signed(body)))
    assert status == 400 and agent.messages == []


# --- webhook: verification GET ------------------------------------------------------

def verification(params: dict[str, str]) -> Callable[[aiohttp.ClientSession, str], Awaitable[Any]]:
    async def scenario(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
        async with session.get(url, params=params) as r:
            return r.status, await r.text()
    return scenario


def test_verification_with_the_right_token_answers_the_challenge(graph) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    assert serve(make_channel(graph), RecordingAgent(), verification(params)) == (200, "1158201444")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
    {"hub.mode": "subscribe", "hub.challenge": "42"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"},
], ids=["wrong-token", "no-token", "wrong-mode"])
def test_verification_refused(graph, params) -> None:
    status, text = serve(make_channel(graph), RecordingAgent(), verification(params))
    assert status == 403 and "42" not in text


# --- output channel -----------------------------------------------------------------

def output(graph: graph_api.GraphApiSimulator, token: str = TOKEN) -> MessengerOutput:
    channel = make_channel(graph, token).get_output_channel()
    assert isinstance(channel, MessengerOutput)
    return channel


def buttons(count: int) -> list[dict[str, str]]:
    return [{"title": f"Choix {i}", "payload": f"/choose{{\"n\": {i}}}"} for i in range(1, count + 1)]


def test_an_advisor_message_starts_with_the_advisor_name(graph) -> None:
    """The desk's message: a bot event whose metadata (merged into the message) names the advisor."""
    message = {"text": "Je regarde votre dossier.", "desk_advisor": "Julie"}
    asyncio.run(output(graph).send_response(USER, message))
    assert graph.messages()[0]["message"]["text"] == "Julie (service client) : Je regarde votre dossier."


def test_get_output_channel_uses_the_configured_graph_api(graph) -> None:
    channel = make_channel(graph)
    assert channel.name() == "facebook" and channel.url_prefix() == "facebook"
    asyncio.run(output(graph).send_response(USER, {"text": "Message d'une conseillère."}))
    assert graph.actions() == ["typing_on"]
    assert graph.messages()[0]["message"]["text"] == "Message d'une conseillère."
    assert all(c["status"] == 200 and c["query"]["access_token"] == TOKEN for c in graph.calls)


def test_three_buttons_make_a_button_template(graph) -> None:
    asyncio.run(output(graph).send_response(USER, {"text": "Que voulez-vous ?", "buttons": buttons(3)}))
    [body] = graph.messages()
    payload = body["message"]["attachment"]["payload"]
    assert payload["template_type"] == "button"
    assert [b["title"] for b in payload["buttons"]] == ["Choix 1", "Choix 2", "Choix 3"]
    assert all(b["type"] == "postback" for b in payload["buttons"])


def test_five_buttons_become_quick_replies(graph) -> None:
    asyncio.run(output(graph).send_response(USER, {"text": "Que voulez-vous ?", "buttons": buttons(5)}))
    assert graph.actions() == ["typing_on"]
    [body] = graph.messages()
    assert body["message"]["text"] == "Que voulez-vous ?"
    replies = body["message"]["quick_replies"]
    assert [(r["content_type"], r["title"], r["payload"]) for r in replies] == [
        ("text", b["title"], b["payload"]) for b in buttons(5)]
    assert [c["status"] for c in graph.calls] == [200, 200]


def test_a_bot_event_with_five_buttons_as_rasa_sends_it(graph) -> None:
    """The whole message Rasa hands to the output channel (every key of BotUttered.message())."""
    message = BotUttered("Votre note ?", data={"buttons": buttons(5)}).message()
    asyncio.run(output(graph).send_response(USER, message))
    [body] = graph.messages()
    assert [r["title"] for r in body["message"]["quick_replies"]] == [f"Choix {i}" for i in range(1, 6)]


def test_twenty_buttons_become_at_most_thirteen_quick_replies(graph, caplog) -> None:
    asyncio.run(output(graph).send_response(USER, {"text": "Choisissez", "buttons": buttons(20)}))
    [body] = graph.messages()
    assert [r["title"] for r in body["message"]["quick_replies"]] == [f"Choix {i}" for i in range(1, 14)]
    assert "7 dropped" in caplog.text


def test_long_quick_reply_titles_are_shortened(graph) -> None:
    long = [{"title": "Un titre de bouton bien trop long", "payload": "/x"}] * 4
    asyncio.run(output(graph).send_response(USER, {"text": "?", "buttons": long}))
    [body] = graph.messages()
    assert all(len(r["title"]) <= 20 for r in body["message"]["quick_replies"])


def test_long_text_is_split_at_sentence_boundaries(graph) -> None:
    sentences = [f"Voici la phrase numéro {i} de ce long message de Colibri." for i in range(1, 200)]
    text = " ".join(sentences)
    while len(text) < 4500:
        text += " Encore une phrase."
    text = text[:4500].rsplit(" ", 1)[0] + "."
    assert 4400 < len(text) <= 4500
    asyncio.run(output(graph).send_response(USER, {"text": text}))
    pieces = [m["message"]["text"] for m in graph.messages()]
    assert len(pieces) == 3
    assert all(len(p) <= 2000 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text
    assert graph.actions() == ["typing_on"]
    assert graph.calls[0]["body"]["sender_action"] == "typing_on"


def test_text_without_sentences_is_split_between_words() -> None:
    words = " ".join(f"mot{i}" for i in range(1000))  # 5,889 characters, no sentence end
    pieces = split_text(words)
    assert all(len(p) <= 2000 for p in pieces)
    assert " ".join(pieces) == words
    assert all(p.split(" ")[-1] in words.split(" ") for p in pieces)


def test_unbreakable_text_is_cut_hard() -> None:
    pieces = split_text("x" * 4500)
    assert [len(p) for p in pieces] == [2000, 2000, 500]


def test_a_wrong_page_token_is_logged_not_raised(graph, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="channels.messenger")
    asyncio.run(output(graph, token="wrong-token").send_response(
        USER, {"text": "Bonjour", "buttons": buttons(2)}))
    assert [c["status"] for c in graph.calls] == [401, 401]
    assert graph.messages() == []
    assert "Invalid OAuth access token" in caplog.text and "190" in caplog.text


def test_a_wrong_page_token_does_not_break_the_webhook(graph) -> None:
    agent = RecordingAgent(reply="Bonjour")
    body = event(message={"mid": "m_5", "text": "Bonjour"})
    status, _ = serve(make_channel(graph, token="wrong-token"), agent, post(body, signed(body)))
    assert status == 200 and [m.text for m in agent.messages] == ["Bonjour"]
    assert graph.calls and all(c["status"] == 401 for c in graph.calls)


def test_an_unreachable_graph_api_is_logged_not_raised(caplog) -> None:
    channel = MessengerInput(VERIFY, SECRET, TOKEN, graph_api_url=f"http://127.0.0.1:{free_port()}")
    asyncio.run(channel.get_output_channel().send_response(USER, {"text": "Bonjour"}))
    assert "Graph API send failed" in caplog.text


# --- the simulator's own contract ---------------------------------------------------

def test_simulator_rejects_malformed_bodies(graph) -> None:
    import requests

    url = f"{graph.base_url}/v23.0/me/messages"
    for body in ({"message": {"text": "x"}},
                 {"recipient": {"id": USER}},
                 {"recipient": {"id": USER}, "sender_action": "dancing"},
                 {"recipient": {"id": USER}, "message": {"text": "x" * 2001}}):
        answer = requests.post(url, params={"access_token": TOKEN}, json=body, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    answer = requests.post(url, params={"access_token": TOKEN}, data=b"{", timeout=5)
    assert answer.status_code == 400
    answer = requests.post(url, params={"access_token": "nope"}, json={}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == 190
