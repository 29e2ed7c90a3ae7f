"""Messenger end to end: Meta's signed webhook events into the real Rasa server, Colibri's
replies out to the Graph API simulator, and an advisor on the desk reaching a Messenger
customer. The channel is enabled the way ops enable it: MESSENGER_* variables read by the
channel that ``credentials.yml`` lists (see tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import random
import re
from typing import Any, Dict, List

import pytest
import requests
from sqlalchemy import select

from actions.survey_models import SatisfactionRating
from channels.messenger import signature_for

pytestmark = pytest.mark.e2e

PAGE = "100000000000001"


class MessengerCustomer:
    """A person writing to the shop's page: each call posts one webhook event as Meta does."""

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant
        self.psid = str(random.randrange(10**15, 10**16))  # page-scoped user id
        self.url = f"{assistant.rasa_url}/webhooks/facebook/webhook"

    def event(self, **messaging: Any) -> bytes:
        body = {"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [
            {"sender": {"id": self.psid}, "recipient": {"id": PAGE}, "timestamp": 1, **messaging}]}]}
        return json.dumps(body, ensure_ascii=False).encode()

    def post(self, body: bytes, signature: str | None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return requests.post(self.url, data=body, headers=headers, timeout=30)

    def send(self, **messaging: Any) -> List[Dict[str, Any]]:
        """Posts a signed event; answers the messages Colibri sent to this customer meanwhile."""
        before = len(self.inbox())
        body = self.event(**messaging)
        reply = self.post(body, signature_for(self.assistant.messenger_secret, body))
        assert reply.status_code == 200, reply.text
        return self.inbox()[before:]

    def says(self, text: str) -> List[Dict[str, Any]]:
        return self.send(message={"mid": f"m_{random.getrandbits(40)}", "text": text})

    def inbox(self) -> List[Dict[str, Any]]:
        """The ``message`` objects the Send API accepted for this customer, oldest first."""
        return [body["message"] for body in self.assistant.graph.messages()
                if body["recipient"]["id"] == self.psid]

    def user_events(self) -> List[Dict[str, Any]]:
        events = self.assistant.tracker(self.psid)["events"]
        return [e for e in events if e["event"] == "user"]


def text_of(messages: List[Dict[str, Any]]) -> str:
    """What the customer reads: texts, template texts."""
    parts = []
    for message in messages:
        parts.append(message.get("text") or message.get("attachment", {}).get("payload", {}).get("text", ""))
    return "\n".join(parts)


def test_order_tracked_on_messenger_with_replies_through_the_send_api(assistant):
    customer = MessengerCustomer(assistant)
    hello = customer.says("Bonjour")
    assert hello, "Colibri answered nothing on Messenger"
    answer = text_of(customer.says("où en est ma commande CO100001 ? camille.martin@example.fr"))
    assert "CO100001" in answer
    calls = [c for c in assistant.graph.calls if c["body"].get("recipient", {}).get("id") == customer.psid]
    assert all(c["status"] == 200 for c in calls), [c for c in calls if c["status"] != 200]
    assert {c["version"] for c in calls} == {"23.0"}
    actions = [c["body"]["sender_action"] for c in calls if "sender_action" in c["body"]]
    assert "mark_seen" in actions and "typing_on" in actions
    tracker = assistant.tracker(customer.psid)
    assert tracker["latest_input_channel"] == "facebook"
    texts = [e["text"] for e in customer.user_events()]
    assert texts[-1].startswith("où en est ma commande"), texts


def test_quick_reply_and_postback_payloads_drive_the_conversation(assistant):
    customer = MessengerCustomer(assistant)
    customer.says("bonjour")
    asked = customer.send(message={"mid": "m_qr", "text": "Suivre ma commande",
                                   "quick_reply": {"payload": "/track_order"}})
    assert "commande" in text_of(asked)
    assert customer.send(postback={"title": "Que savez-vous faire ?", "payload": "/ask_capabilities"})
    intents = [e["parse_data"]["intent"]["name"] for e in customer.user_events()]
    assert intents[-2:] == ["track_order", "ask_capabilities"]
    assert [e["text"] for e in customer.user_events()][-2:] == ["/track_order", "/ask_capabilities"]


@pytest.mark.parametrize("signature", [
    None,  # unsigned
    "sha256=" + "0" * 64,  # forged
    "sha1=0123456789abcdef0123456789abcdef01234567",  # Rasa's old SHA-1 header format only
], ids=["unsigned", "forged", "sha1"])
def test_unsigned_or_forged_events_are_refused_and_leave_no_trace(assistant, signature):
    customer = MessengerCustomer(assistant)
    refused = customer.post(customer.event(message={"mid": "m_x", "text": "bonjour"}), signature)
    assert refused.status_code == 403
    assert customer.user_events() == []
    assert customer.inbox() == []


def test_signed_with_another_secret_is_refused(assistant):
    customer = MessengerCustomer(assistant)
    body = customer.event(message={"mid": "m_y", "text": "bonjour"})
    assert customer.post(body, signature_for("not-the-app-secret", body)).status_code == 403
    assert customer.user_events() == []


def test_webhook_verification(assistant):
    url = f"{assistant.rasa_url}/webhooks/facebook/webhook"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": assistant.messenger_verify,
                                   "hub.challenge": "1158201444"}, timeout=10)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                      "hub.challenge": "1158201444"}, timeout=10)
    assert wrong.status_code == 403 and "1158201444" not in wrong.text


def test_messenger_customer_talks_to_an_advisor_and_rates_the_help(assistant):
    assistant.advisors_hours(open=True)
    customer = MessengerCustomer(assistant)
    queued = text_of(customer.says("je veux parler à un conseiller"))
    assert re.search(r"n°\d+", queued)

    julie = assistant.desk("julie")
    waiting = julie.get(f"{assistant.desk_url}/desk/api/queue", timeout=10).json()["waiting"]
    item = next(h for h in waiting if h["conversation_id"] == customer.psid)
    assert item["channel"] == "facebook"
    base = f"{assistant.desk_url}/desk/api/handoffs/{item['id']}"
    assert julie.post(f"{base}/take", json={}, timeout=10).status_code == 200

    assert customer.says("vous êtes là ?") == []  # Colibri is silent while Julie has it
    before = len(customer.inbox())
    assert julie.post(f"{base}/messages", json={"text": "Bonjour, je regarde votre dossier."},
                      timeout=10).status_code == 201
    assert [m["text"] for m in customer.inbox()[before:]] == [
        "Julie (service client) : Bonjour, je regarde votre dossier."]

    before = len(customer.inbox())
    assert julie.post(f"{base}/close", json={}, timeout=10).status_code == 200
    back = customer.inbox()[before:]
    assert "Julie" in text_of(back)
    rating = back[-1]["quick_replies"]  # five choices: more than a button template's three
    assert len(rating) == 5 and all(len(r["title"]) <= 20 for r in rating)
    five = next(r for r in rating if r["title"].startswith("5"))
    thanks = customer.send(message={"mid": "m_rate", "text": five["title"],
                                    "quick_reply": {"payload": five["payload"]}})
    assert "Merci" in text_of(thanks)
    rating = select(SatisfactionRating).where(SatisfactionRating.handoff_id == item["id"])
    assert (assistant.shop(rating).rating, assistant.shop(rating).channel) == (5, "facebook")
