"""Waiting conversations are released only when no advisor has been around, and never lost."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from actions.desk_models import AdvisorSession, Handoff
from actions.models import Ticket
from desk import sweeper
from desk.rasa_api import RasaApi

NOWHERE = RasaApi("http://127.0.0.1:9", None, timeout=0.5)  # nothing listens on port 9


def waiting_handoff(engine, minutes_ago: int) -> int:
    created = datetime.utcnow() - timedelta(minutes=minutes_ago)
    with Session(engine, future=True) as session, session.begin():
        ticket = Ticket(number=f"TKT-1{minutes_ago:05d}", kind="handoff", reason="customer_request",
                        conversation_id="c", channel="rest", transcript="[]", created_at=created)
        session.add(ticket)
        session.flush()
        handoff = Handoff(ticket_id=ticket.id, conversation_id="c", channel="rest", reason="customer_request",
                          status="waiting", summary=json.dumps({}), created_at=created)
        session.add(handoff)
        session.flush()
        return handoff.id


def status(engine, handoff_id: int) -> str:
    with Session(engine, future=True) as session:
        return session.get(Handoff, handoff_id).status


def test_nothing_is_released_while_an_advisor_is_around(shop_db, advisor_online):
    handoff_id = waiting_handoff(shop_db, minutes_ago=10)
    assert sweeper.release_abandoned(NOWHERE) == []
    assert status(shop_db, handoff_id) == "waiting"


def test_recent_handoffs_wait_a_little_for_an_advisor(shop_db, monkeypatch):
    monkeypatch.setenv("DESK_ABANDON_AFTER", "300")
    handoff_id = waiting_handoff(shop_db, minutes_ago=1)
    assert sweeper.release_abandoned(NOWHERE) == []
    assert status(shop_db, handoff_id) == "waiting"


def test_when_rasa_cannot_be_reached_the_conversation_stays_in_the_queue(shop_db):
    with Session(shop_db, future=True) as session, session.begin():  # an advisor left long ago
        old = datetime.utcnow() - timedelta(hours=1)
        session.add(AdvisorSession(token_hash="0" * 64, username="julie", created_at=old, last_seen=old,
                                   expires_at=old + timedelta(hours=10)))
    handoff_id = waiting_handoff(shop_db, minutes_ago=10)
    assert sweeper.release_abandoned(NOWHERE) == []
    assert status(shop_db, handoff_id) == "waiting"  # retried at the next sweep
