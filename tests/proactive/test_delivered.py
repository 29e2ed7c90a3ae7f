"""The « order delivered » notice before it reaches Rasa: checks, refusals and records.

The path through the real Rasa server (sent, Messenger, « non » / « oui » / « stop ») is in
tests/e2e/test_proactive_e2e.py; here Rasa is an address where nothing listens."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.outreach_models import CustomerConversation, NotificationOptOut, ProactiveMessage
from desk.rasa_api import RasaApi
from proactive.delivered import notify_delivered
from proactive.endpoint import PATH, ProactiveEndpoint
from simulators import free_port

NOBODY = RasaApi(f"http://127.0.0.1:{free_port()}", None, timeout=1)  # nothing listens there


def link(engine, customer_id: int, conversation: str, channel: str = "rest") -> None:
    with Session(engine, future=True) as session, session.begin():
        session.add(CustomerConversation(customer_id=customer_id, conversation_id=conversation,
                                         channel=channel, last_seen=datetime.utcnow()))


def records(engine):
    with Session(engine, future=True) as session:
        return [(r.order_number, r.status, r.reason) for r in
                session.execute(select(ProactiveMessage).order_by(ProactiveMessage.id)).scalars()]


@pytest.mark.parametrize("order", ["", "CO12", "n'importe quoi", None, 42, "CO100001" * 10])
def test_a_bad_order_number_is_refused(shop_db, order):
    outcome = notify_delivered(order, NOBODY)
    assert (outcome.status, outcome.http_status) == ("invalid", 400)
    assert records(shop_db) == []


def test_an_unknown_order_is_404(shop_db):
    outcome = notify_delivered("CO999999", NOBODY)
    assert (outcome.status, outcome.http_status) == ("unknown_order", 404)


def test_a_customer_who_never_talked_to_colibri_is_skipped_and_recorded(shop_db):
    outcome = notify_delivered("co-100006", NOBODY)  # typed the way shops' systems sometimes do
    assert (outcome.status, outcome.reason, outcome.order_id) == ("skipped", "no_conversation", "CO100006")
    assert records(shop_db) == [("CO100006", "skipped", "no_conversation")]


def test_a_customer_who_said_stop_is_skipped(shop_db):
    link(shop_db, 3, "emma-conv")  # Emma Petit, third demo customer
    with Session(shop_db, future=True) as session, session.begin():
        session.add(NotificationOptOut(customer_id=3, created_at=datetime.utcnow()))
    outcome = notify_delivered("CO100006", NOBODY)
    assert (outcome.status, outcome.reason, outcome.conversation_id) == ("skipped", "opted_out", "emma-conv")


def test_rasa_unreachable_is_503_and_recorded_as_failed(shop_db):
    link(shop_db, 3, "emma-conv")
    outcome = notify_delivered("CO100006", NOBODY)
    assert (outcome.status, outcome.reason, outcome.http_status) == ("failed", "assistant_unavailable", 503)
    assert records(shop_db) == [("CO100006", "failed", "assistant_unavailable")]


def test_an_order_already_notified_is_not_sent_twice(shop_db):
    with Session(shop_db, future=True) as session, session.begin():
        session.add(ProactiveMessage(kind="order_delivered", order_number="CO100006", status="sent",
                                     created_at=datetime.utcnow()))
    outcome = notify_delivered("CO100006", NOBODY)
    assert (outcome.status, outcome.reason) == ("skipped", "already_sent")


# --- the endpoint's door ----------------------------------------------------------------------

def call(endpoint: ProactiveEndpoint, body: bytes, token: str | None = "s3cret", path: str = PATH):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    reply = endpoint.handle(path, headers, body)
    return reply.status, reply.body


def test_the_endpoint_needs_the_token(shop_db):
    endpoint = ProactiveEndpoint("s3cret")
    body = json.dumps({"order_id": "CO100006"}).encode()
    assert call(endpoint, body, token=None)[0] == 401
    assert call(endpoint, body, token="s3cre")[0] == 401
    assert records(shop_db) == []


def test_the_endpoint_is_off_without_a_configured_token(shop_db):
    assert call(ProactiveEndpoint(""), b'{"order_id": "CO100006"}', token="")[0] == 503


MALFORMED = [b"", b"not json", b"[]", b'"CO100006"', b"\xff\xfe", b'{"order": "CO100006"}']


@pytest.mark.parametrize("body", MALFORMED)
def test_the_endpoint_refuses_malformed_bodies(shop_db, body):
    status, answer = call(ProactiveEndpoint("s3cret"), body)
    assert status == 400 and ("error" in answer or answer["status"] == "invalid")
    assert records(shop_db) == []


def test_the_endpoint_answers_the_outcome(shop_db):
    status, answer = call(ProactiveEndpoint("s3cret"), b'{"order_id": "CO100006"}')
    assert (status, answer) == (
        200, {"status": "skipped", "reason": "no_conversation", "order_id": "CO100006"})
    assert call(ProactiveEndpoint("s3cret"), b"{}", path="/api/proactive/other")[0] == 404
