"""After a load run: is every message of every conversation in the tracker store, in order,
with its reply? (``make bench-load``, ``bench/load.py``.)

What the simulated customers sent is compared with Rasa's SQL tracker store (the
``events`` table, read with ``trainers.tracker_source``):

- **lost**: a message that got its HTTP reply but is not in the store (counted per
  occurrence: « oui » sent twice must be there twice);
- **unexpected**: a user message in the store that the customer never sent (or sent
  fewer times), e.g. a message handled twice;
- **reordered**: a conversation holding exactly what was sent, in another order;
- **unanswered**: a user message with no bot message before the next user message.

A message whose request failed (timeout, HTTP error) may be in the store or not: both
are accepted, in its place. The store's events are also where the actions that ran in
reply to each message are read, to tell database-backed messages from the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy.engine import Engine

from trainers.tracker_source import EVENT_TYPES, conversations

CHUNK = 200  # senders per query


@dataclass(frozen=True)
class StoredTurn:
    """A user message as the tracker store holds it, with what followed it."""

    text: str
    answered: bool
    actions: Tuple[str, ...]


@dataclass
class ConversationCheck:
    sender: str
    sent: int
    stored: int
    lost: int = 0
    unexpected: int = 0
    reordered: bool = False
    unanswered: int = 0
    matches: Dict[int, int] = field(default_factory=dict)  # sent position -> stored position

    @property
    def ok(self) -> bool:
        return not (self.lost or self.unexpected or self.reordered or self.unanswered)


@dataclass
class StoreCheck:
    """The whole run: counts over every conversation, and the conversations that failed."""

    conversations: int = 0
    messages_sent: int = 0
    messages_stored: int = 0
    lost: int = 0
    unexpected: int = 0
    reordered: int = 0
    unanswered: int = 0
    failed: List[ConversationCheck] = field(default_factory=list)
    actions: Dict[Tuple[str, int], Tuple[str, ...]] = field(default_factory=dict)  # (sender, pos)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.unexpected or self.reordered or self.unanswered)

    def add(self, check: ConversationCheck, stored: Sequence[StoredTurn]) -> None:
        self.conversations += 1
        self.messages_sent += check.sent
        self.messages_stored += check.stored
        self.lost += check.lost
        self.unexpected += check.unexpected
        self.reordered += int(check.reordered)
        self.unanswered += check.unanswered
        if not check.ok:
            self.failed.append(check)
        for sent_at, stored_at in check.matches.items():
            self.actions[(check.sender, sent_at)] = stored[stored_at].actions

    def as_dict(self) -> Dict[str, Any]:
        return {
            "ok": self.ok, "conversations": self.conversations, "messages_sent": self.messages_sent,
            "messages_stored": self.messages_stored, "lost": self.lost, "unexpected": self.unexpected,
            "reordered_conversations": self.reordered, "unanswered": self.unanswered,
            "failed_conversations": [
                {"sender": c.sender, "lost": c.lost, "unexpected": c.unexpected,
                 "reordered": c.reordered, "unanswered": c.unanswered} for c in self.failed[:20]],
        }


def stored_turns(events: Iterable[Mapping[str, Any]]) -> List[StoredTurn]:
    """The user messages of a conversation's events, each with its replies' presence and actions."""
    turns: List[StoredTurn] = []
    text: Optional[str] = None
    answered, actions = False, []

    def close() -> None:
        if text is not None:
            turns.append(StoredTurn(text, answered, tuple(actions)))

    for event in events:
        kind = event.get("event")
        if kind == "user":
            close()
            text, answered, actions = str(event.get("text") or "").strip(), False, []
        elif text is None:
            continue
        elif kind == "rewind":  # Rasa took the message back (a form or a fallback): it is told again
            text, answered, actions = None, False, []
        elif kind == "bot":
            answered = True
        elif kind == "action" and event.get("name") and event.get("name") != "action_listen":
            actions.append(str(event["name"]))
    close()
    return turns


def check_conversation(sender: str, sent: Sequence[Tuple[str, bool]],
                       stored: Sequence[StoredTurn]) -> ConversationCheck:
    """Compares the ``(text, got a reply)`` messages sent with the stored turns."""
    sent = [(text.strip(), ok) for text, ok in sent]
    stored_texts = [t.text for t in stored]
    check = ConversationCheck(sender, len(sent), len(stored))
    check.lost = sum((Counter(t for t, ok in sent if ok) - Counter(stored_texts)).values())
    check.unexpected = sum((Counter(stored_texts) - Counter(t for t, _ in sent)).values())
    i = j = 0
    while i < len(sent) and j < len(stored):
        text, ok = sent[i]
        if text == stored_texts[j]:
            check.matches[i] = j
            i, j = i + 1, j + 1
        elif not ok:
            i += 1  # a failed request that never reached the store
        else:
            break
    aligned = j == len(stored) and all(not ok for _, ok in sent[i:])
    check.reordered = not aligned and not check.lost and not check.unexpected
    check.unanswered = sum(1 for t in stored if not t.answered)
    return check


def check_store(engine: Engine, sent: Mapping[str, Sequence[Tuple[str, bool]]]) -> StoreCheck:
    """Checks every conversation of ``sent`` (sender id -> messages in order) against the store."""
    result = StoreCheck()
    senders = sorted(sent)
    found: Dict[str, List[StoredTurn]] = {}
    for start in range(0, len(senders), CHUNK):
        chunk = tuple(senders[start:start + CHUNK])
        for sender, events in conversations(engine, senders=chunk, types=(*EVENT_TYPES, "rewind")):
            found[sender] = stored_turns(events)
    for sender in senders:
        stored = found.get(sender, [])
        result.add(check_conversation(sender, sent[sender], stored), stored)
    return result
