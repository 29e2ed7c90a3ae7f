"""The conversations the privacy tests start from, in Rasa's tracker store and the project's tables.

Written with Rasa's own events, saved by Rasa's ``SQLTrackerStore``; the project's rows with
its models. Ages are days before ``NOW``; the retention tests keep 365 days.

- ``web-old-camille`` (400 days): Camille proves who she is, asks for an advisor (ticket,
  handoff), rates the advisor 2 with her phone number, asks for a reset link, gets a
  delivery notice; linked to her account;
- ``web-recent-camille`` (10 days): Camille again, linked to her account, rates 5;
- ``web-mixed``: a first session 400 days ago, a second one 10 days ago: recent;
- ``fb-old-anonymous`` (400 days): a FAQ question, rated 4 « très bien » (a Messenger id);
- ``web-typed-camille`` (30 days): someone typed Camille's address (other case), nothing else;
- ``rest-recent-lucas`` (3 days): Lucas asks to be called back (ticket with his phone);
- ``gone-old`` (no events left, ticket 400 days old) and ``gone-recent`` (no events, rating
  5 days old): rows whose conversation the tracker store does not have.

Return reminders are recorded for ``web-old-camille`` (sent), ``web-recent-camille`` and
``rest-recent-lucas``. Plus, with no conversation: a skipped delivery notice to Camille 400
days ago and one to Emma 2 days ago; Camille's opt-out of Colibri's messages.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from typing import Dict, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.account_models import LinkRequest
from actions.accounts import hash_email
from actions.desk_models import CLOSED, Handoff
from actions.models import Customer, Ticket
from actions.outreach_models import (
    SENT,
    SKIPPED,
    CustomerConversation,
    NotificationOptOut,
    PendingReminder,
    ProactiveMessage,
)
from actions.survey_models import SatisfactionRating

NOW = time.time()
DAY = 86400
CAMILLE = "camille.martin@example.fr"
CAMILLE_PHONE = "06 12 34 56 78"
LUCAS = "lucas.bernard@example.fr"
OLD_SENDERS = {"web-old-camille", "fb-old-anonymous"}
RECENT_SENDERS = {"web-recent-camille", "web-mixed", "web-typed-camille", "rest-recent-lucas"}


def ago(days: float) -> float:
    return NOW - days * DAY


def utc(timestamp: float) -> datetime:
    """As the project's tables keep dates: naive UTC."""
    return datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)


def session(start: float, channel: str, *messages: str, email: Optional[str] = None) -> List[Event]:
    """A conversation session: each message answered one minute apart."""
    events: List[Event] = [ActionExecuted("action_session_start", timestamp=start),
                           SessionStarted(timestamp=start), ActionExecuted("action_listen", timestamp=start)]
    for i, text in enumerate(messages, start=1):
        t = start + 60 * i
        events += [UserUttered(text, intent={"name": "inform", "confidence": 0.9}, input_channel=channel,
                               timestamp=t),
                   BotUttered("Je regarde.", timestamp=t + 1),
                   ActionExecuted("action_listen", timestamp=t + 1)]
    if email:
        events.append(SlotSet("email", email, timestamp=start + 60 * len(messages) + 2))
    return events


CONVERSATIONS: Dict[str, List[Event]] = {
    "web-old-camille": session(ago(400), "socketio", "où est ma commande CO100001 ?", CAMILLE,
                               "je veux un conseiller", email=CAMILLE),
    "web-recent-camille": session(ago(10), "socketio", f"CO100002 {CAMILLE}", "merci", email=CAMILLE),
    "web-mixed": [*session(ago(400), "socketio", "bonjour"),
                  *session(ago(10), "socketio", "j'habite 12 rue des Lilas 69003 Lyon")],
    "fb-old-anonymous": session(ago(400), "facebook", "quels sont les frais de livraison ?"),
    "web-typed-camille": session(ago(30), "socketio", "mon mail : Camille.Martin@Example.FR"),
    "rest-recent-lucas": session(ago(3), "rest", "rappelez-moi au 07 11 22 33 44"),
}


def fill_tracker(store: SQLTrackerStore) -> None:
    for sender, events in CONVERSATIONS.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def _ticket(conversation: str, days: float, kind: str, **fields: object) -> Ticket:
    transcript = [{"role": "customer", "text": text} for text in fields.pop("said", [])]
    return Ticket(number=None, kind=kind, reason="customer_request", conversation_id=conversation,
                  channel="socketio", transcript=json.dumps(transcript, ensure_ascii=False),
                  created_at=utc(ago(days)), **fields)


def _rating(conversation: str, days: float, request: str, rating: int,
            **fields: object) -> SatisfactionRating:
    return SatisfactionRating(conversation_id=conversation, channel=str(fields.pop("channel", "socketio")),
                              request=request, rating=rating, created_at=utc(ago(days)), **fields)


def _link(customer: int, conversation: str, days: float) -> CustomerConversation:
    return CustomerConversation(customer_id=customer, conversation_id=conversation, channel="socketio",
                                last_seen=utc(ago(days)))


def fill_shop(engine: Engine) -> None:
    with Session(engine, future=True) as db, db.begin():
        ids = dict(db.execute(select(func.lower(Customer.email), Customer.id)).all())
        camille, lucas, emma = ids[CAMILLE], ids[LUCAS], ids["emma.petit@example.fr"]
        handoff_ticket = _ticket("web-old-camille", 400, "handoff", email=CAMILLE, order_number="CO100001",
                                 said=["où est ma commande CO100001 ?", CAMILLE])
        callback = _ticket("rest-recent-lucas", 3, "callback", phone="+33711223344", slot="matin",
                           said=["rappelez-moi au 07 11 22 33 44"])
        gone = _ticket("gone-old", 400, "email", question=f"écrivez-moi à {CAMILLE}")
        db.add_all([handoff_ticket, callback, gone])
        db.flush()
        for ticket in (handoff_ticket, callback, gone):
            ticket.number = f"TKT-{100000 + ticket.id}"
        handoff = Handoff(ticket_id=handoff_ticket.id, conversation_id="web-old-camille", channel="socketio",
                          reason="customer_request", status=CLOSED, advisor="julie", created_at=utc(ago(400)),
                          summary=json.dumps({"request": "où est ma commande", "order": "CO100001",
                                              "email": CAMILLE}))
        db.add(handoff)
        db.flush()
        db.add_all([
            _rating("web-old-camille", 400, "handoff", 2, comment=f"rappelez-moi au {CAMILLE_PHONE}",
                    handoff_id=handoff.id),
            _rating("web-recent-camille", 10, "order_tracking", 5, comment="parfait"),
            _rating("fb-old-anonymous", 400, "faq", 4, comment="très bien", channel="facebook"),
            _rating("gone-recent", 5, "general", 3, channel="rest"),
            _link(camille, "web-old-camille", 400),
            _link(camille, "web-recent-camille", 10),
            _link(lucas, "rest-recent-lucas", 3),
            LinkRequest(email_hash=hash_email(CAMILLE), conversation_id="web-old-camille", purpose="reset",
                        created_at=utc(ago(400))),
            LinkRequest(email_hash=hash_email(LUCAS), conversation_id="rest-recent-lucas", purpose="unlock",
                        created_at=utc(ago(3))),
            ProactiveMessage(kind="order_delivered", order_number="CO100002", customer_id=camille,
                             conversation_id="web-old-camille", channel="socketio", status=SENT,
                             created_at=utc(ago(399))),
            ProactiveMessage(kind="order_delivered", order_number="CO100001", customer_id=camille,
                             status=SKIPPED, reason="no_conversation", created_at=utc(ago(400))),
            ProactiveMessage(kind="order_delivered", order_number="CO100006", customer_id=emma,
                             status=SKIPPED, reason="no_conversation", created_at=utc(ago(2))),
            NotificationOptOut(customer_id=camille, created_at=utc(ago(390))),
            PendingReminder(conversation_id="web-old-camille", order_number="CO100002",
                            due_at=utc(ago(399)), sent_at=utc(ago(399))),
            PendingReminder(conversation_id="web-recent-camille", order_number="CO100002",
                            due_at=utc(ago(9))),
            PendingReminder(conversation_id="rest-recent-lucas", due_at=utc(ago(2))),
        ])
