"""Saving to the SQL tracker store on PostgreSQL: the same rows and the same published
events as Rasa's own ``SQLTrackerStore.save``, with one read of the conversation less.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

import channels  # noqa: F401 - loading the channels installs the speed-ups, as in `rasa run`
from rasa_speedups import tracker_store

pytestmark = pytest.mark.postgres


@pytest.fixture
def tracker_db(postgres_server: str) -> Iterator[str]:
    """The test session's PostgreSQL database; this module's conversations are removed after
    each test (other tests count the conversations there)."""
    yield postgres_server
    engine = create_engine(postgres_server, future=True)
    with engine.begin() as conn:
        if conn.execute(text("SELECT to_regclass('events')")).scalar() is not None:
            conn.execute(text("DELETE FROM events WHERE sender_id LIKE 'speedups-%'"))
    engine.dispose()


class Collecting(EventBroker):
    """An event broker that keeps what it is given (Rasa's EventBroker interface)."""

    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


def user(text_: str, intent: str) -> UserUttered:
    return UserUttered(text_, {"name": intent, "confidence": 0.98},
                       parse_data={"intent": {"name": intent, "confidence": 0.98}, "entities": [],
                                   "text": text_})


TURNS: List[List[Event]] = [
    [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
    [user("bonjour", "greet"), ActionExecuted("utter_greet"), BotUttered("Bonjour ! 👋"),
     ActionExecuted("action_listen")],
    [user("où en est ma commande CMD-2024-00042 ?", "track_order"),
     SlotSet("requested_slot", "email"), ActionExecuted("order_tracking_form"),
     BotUttered("Quelle est l'adresse e-mail de la commande ?"), ActionExecuted("action_listen")],
    [],  # a turn that adds nothing
    # a new session in the same conversation: Rasa counts from its start
    [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
     user("merci", "thank"), ActionExecuted("utter_thank"), BotUttered("Avec plaisir !"),
     ActionExecuted("action_listen")],
]


def store(url: str, broker: Optional[EventBroker]) -> SQLTrackerStore:
    parts = make_url(url)
    return SQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=parts.host,
                           port=parts.port, db=parts.database, username=parts.username,
                           password=parts.password, event_broker=broker)


def rows(url: str, sender: str) -> List[tuple]:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT type_name, intent_name, action_name, timestamp, data FROM events "
            "WHERE sender_id = :sender ORDER BY id"), {"sender": sender}).all()
    engine.dispose()
    return [tuple(r) for r in found]


async def play(save: Any, target: SQLTrackerStore, sender: str) -> None:
    """Each turn as Rasa's processor plays it: read the conversation, add events, save."""
    for turn in TURNS:
        tracker = await target.retrieve(sender) or DialogueStateTracker(sender, slots=[])
        for event_ in turn:
            tracker.update(event_)
        await save(target, tracker)


def test_same_rows_and_same_published_events_as_rasas_save(tracker_db: str) -> None:
    assert SQLTrackerStore.save is tracker_store.save
    rasas_broker, our_broker = Collecting(), Collecting()
    asyncio.run(play(tracker_store.RASA_SAVE, store(tracker_db, rasas_broker), "speedups-rasa-save"))
    asyncio.run(play(SQLTrackerStore.save, store(tracker_db, our_broker), "speedups-colibri-save"))

    expected = rows(tracker_db, "speedups-rasa-save")
    assert len(expected) == sum(len(turn) for turn in TURNS)
    assert rows(tracker_db, "speedups-colibri-save") == expected

    def without_sender(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "sender_id"} for e in events]

    assert len(our_broker.published) == len(expected)
    assert without_sender(our_broker.published) == without_sender(rasas_broker.published)
    assert {e["sender_id"] for e in our_broker.published} == {"speedups-colibri-save"}


def test_the_conversation_reads_back_whole(tracker_db: str) -> None:
    target = store(tracker_db, Collecting())
    asyncio.run(play(SQLTrackerStore.save, target, "speedups-read-back"))
    tracker = asyncio.run(target.retrieve_full_tracker("speedups-read-back"))
    assert [e.as_dict()["event"] for e in tracker.events] == [
        e.as_dict()["event"] for turn in TURNS for e in turn]
    latest = asyncio.run(target.retrieve("speedups-read-back"))
    assert latest.latest_message.text == "merci"


def test_without_an_event_broker_it_only_saves(tracker_db: str) -> None:
    asyncio.run(play(SQLTrackerStore.save, store(tracker_db, None), "speedups-no-broker"))
    assert len(rows(tracker_db, "speedups-no-broker")) == sum(len(turn) for turn in TURNS)


def test_nothing_is_published_when_the_database_fails(tracker_db: str) -> None:
    broker = Collecting()
    target = store(tracker_db, broker)
    tracker = DialogueStateTracker("speedups-db-down", slots=[])
    for event_ in TURNS[0] + TURNS[1]:
        tracker.update(event_)
    target.engine.dispose()  # the database goes away: nothing listens on port 1
    target.sessionmaker = sessionmaker(bind=create_engine("postgresql://postgres@127.0.0.1:1/test"))
    with pytest.raises(OperationalError):
        asyncio.run(SQLTrackerStore.save(target, tracker))
    assert broker.published == []


def statements_while(target: SQLTrackerStore, run: Any) -> List[str]:
    """The SQL statements ``run()`` sends to the store's database."""
    sent: List[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement.split()[0].upper())

    event.listen(target.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(target.engine, "before_cursor_execute", record)
    return sent


def test_a_conversation_just_read_is_saved_without_counting_it_again(tracker_db: str) -> None:
    target = store(tracker_db, Collecting())
    asyncio.run(play(SQLTrackerStore.save, target, "speedups-no-count"))
    tracker = asyncio.run(target.retrieve("speedups-no-count"))
    tracker.update(user("au revoir", "goodbye"))
    tracker.update(ActionExecuted("utter_goodbye"))

    sent = statements_while(target, lambda: asyncio.run(SQLTrackerStore.save(target, tracker)))
    assert sent and set(sent) == {"INSERT"}  # no count, no read: the two new rows only
    assert [r[1] for r in rows(tracker_db, "speedups-no-count")][-2:] == ["goodbye", None]


def test_the_same_tracker_saved_twice_across_a_new_session_stores_each_event_once(
        tracker_db: str) -> None:
    target = store(tracker_db, None)
    tracker = DialogueStateTracker("speedups-twice", slots=[])
    for turn in TURNS:  # one tracker object for the whole conversation, saved after each turn
        for event_ in turn:
            tracker.update(event_)
        asyncio.run(SQLTrackerStore.save(target, tracker))
    assert len(rows(tracker_db, "speedups-twice")) == sum(len(turn) for turn in TURNS)


def test_a_new_conversation_is_counted_as_rasa_does_then_known(tracker_db: str) -> None:
    target = store(tracker_db, None)
    tracker = DialogueStateTracker("speedups-new", slots=[])  # not read from the store
    for event_ in TURNS[0]:
        tracker.update(event_)
    first = statements_while(target, lambda: asyncio.run(SQLTrackerStore.save(target, tracker)))
    assert "SELECT" in first  # Rasa's count of the stored events
    for event_ in TURNS[1]:
        tracker.update(event_)
    second = statements_while(target, lambda: asyncio.run(SQLTrackerStore.save(target, tracker)))
    assert set(second) == {"INSERT"}
    assert len(rows(tracker_db, "speedups-new")) == len(TURNS[0]) + len(TURNS[1])
