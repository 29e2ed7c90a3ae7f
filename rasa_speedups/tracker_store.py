"""Save a conversation to the SQL tracker store with one read of it, not two.

Rasa 3.6's ``SQLTrackerStore.save`` first streams the new events to the event broker:
to find them, it reads the whole conversation back from the database and replays every
event into a tracker (``stream_events``). Then it counts the stored events to find the
same new events again, and inserts them. With RabbitMQ configured, that second read was
about a tenth of the Rasa server's CPU time per message under ``make bench-load``.

Here the new events are found once, inserted, then published: the broker receives the
same events in the same order, once the database holds them. When the database fails,
nothing is published (Rasa's ``stream_events`` fails on its read too).

The count itself is a query with a sub-query on every save. A tracker this store has just
read (``retrieve``) or saved knows how many of its events the database holds: the events
after those are the new ones, as Rasa's count finds them while the conversation's lock is
held. A tracker the store has not seen (a new conversation, a whole history read with
``retrieve_full_tracker``, a bounded event history) is counted as Rasa does.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Dict, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

RASA_SAVE = SQLTrackerStore.save  # Rasa's own, for comparison in tests
RASA_RETRIEVE = SQLTrackerStore.retrieve
_STORED = "_colibri_events_stored"  # on a tracker: how many of its events the database holds


def _mark_stored(tracker: DialogueStateTracker) -> None:
    setattr(tracker, _STORED, len(tracker.events))


def _stored(tracker: DialogueStateTracker) -> Optional[int]:
    """How many of the tracker's events the database holds, if this store knows it."""
    stored = getattr(tracker, _STORED, None)
    if stored is None or tracker.events.maxlen is not None or stored > len(tracker.events):
        return None
    return stored


def row(store: SQLTrackerStore, sender_id: str, event: Event) -> Any:
    """The ``events`` table row of ``event``, with the columns Rasa fills."""
    data: Dict[str, Any] = event.as_dict()
    return store.SQLEvent(
        sender_id=sender_id,
        type_name=event.type_name,
        timestamp=data.get("timestamp"),
        intent_name=((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY),
        action_name=data.get("name"),
        data=json.dumps(data),
    )


async def retrieve(self: SQLTrackerStore, sender_id: str) -> Optional[DialogueStateTracker]:
    """Rasa's ``retrieve``; the tracker remembers that the database holds all its events."""
    tracker = await RASA_RETRIEVE(self, sender_id)
    if tracker is not None:
        _mark_stored(tracker)
    return tracker


async def save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    """Inserts the events the database does not hold yet, then publishes them."""
    with self.session_scope() as session:
        stored = _stored(tracker)
        new_events: List[Event] = list(
            self._additional_events(session, tracker) if stored is None
            else itertools.islice(tracker.events, stored, None))
        session.add_all([row(self, tracker.sender_id, event) for event in new_events])
        session.commit()
    _mark_stored(tracker)
    if self.event_broker is not None:
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def install() -> None:
    """Replaces ``SQLTrackerStore.retrieve`` and ``SQLTrackerStore.save``."""
    SQLTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    SQLTrackerStore.save = save  # type: ignore[method-assign]
