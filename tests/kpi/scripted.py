"""Scripted conversations whose KPIs are worked out by hand (tests/kpi/test_report.py).

Written with Rasa's own events and saved by Rasa's ``SQLTrackerStore``, with fixed
timestamps (Paris time), so the rows are exactly those Rasa writes. The handoffs and
ratings go to the project's tables. Customers (sender ids) and what they do:

- ``web-alice`` (socketio): 20 Oct (history), then 3 Nov: tracking, rated 5 « super rapide »;
- ``web-bob`` (socketio): 5 Nov, not understood (« vous voulez… ? »), a button; back on 20 Nov;
- ``web-carla`` (socketio): 10 Nov, out of scope, asks for an advisor (customer_request),
  writes while paused, the advisor answers, rated 2 « trop long »;
- ``rest-dan`` (rest): 12 Nov, two misses, accepts an advisor (not_understood), surveyed but
  no rating; back at 13:30 (a new session) to cancel;
- ``fb-emma`` (facebook): 25 Nov, two FAQ answers, tracking, thanks, rated 4: 5 messages;
- ``rest-gina`` (rest): 31 Oct 23:30 only, handed over (customer_request);
- ``web-fred`` (socketio): 1 Dec 00:30 Paris (30 Nov in UTC), handed over (offered), rated 1
  with a phone number in the comment;
- ``web-ghost`` (socketio): opened the widget on 15 Nov, wrote nothing;
- ``rest-nobody``: a rating without any conversation.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.advisor_messages import advisor_metadata
from actions.desk_models import Handoff
from actions.models import Ticket
from actions.survey_models import SatisfactionRating

PARIS = ZoneInfo("Europe/Paris")


def at(day: str, clock: str) -> float:
    """Unix time of ``day`` (``2026-11-03``) at ``clock`` (``10:00:00``), Paris time."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=PARIS).timestamp()


def utc(timestamp: float) -> datetime:
    """As the project's tables keep dates: naive UTC."""
    return datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)


class Script:
    """One customer's events, in order."""

    def __init__(self, sender: str, channel: str) -> None:
        self.sender, self.channel = sender, channel
        self.events: List[Event] = []

    def start(self, t: float) -> Script:
        self.events += [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t),
                        ActionExecuted("action_listen", timestamp=t)]
        return self

    def says(self, t: float, text: str, intent: str, confidence: float = 0.95, guess: Optional[str] = None,
             faq: Optional[str] = None) -> Script:
        """A customer message; ``guess`` makes it an ``nlu_fallback`` whose best real intent is ``guess``."""
        ranking = [{"name": guess or intent, "confidence": confidence}, {"name": "greet", "confidence": 0.01}]
        top = {"name": intent, "confidence": confidence}
        if guess:
            top = {"name": "nlu_fallback", "confidence": 0.55}
            ranking.insert(0, top)
        parse: Dict[str, Any] = {"intent_ranking": ranking}
        if faq:
            parse["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{faq}"}}}
        self.events.append(UserUttered(text, intent=top, parse_data=parse, input_channel=self.channel,
                                       timestamp=t))
        return self

    def external(self, t: float, intent: str) -> Script:
        """What the desk triggers (``EXTERNAL_handoff_closed``), as Rasa records it."""
        event = UserUttered.create_external(intent, input_channel=self.channel)
        event.timestamp = t
        self.events.append(event)
        return self

    def runs(self, t: float, action: str) -> Script:
        self.events.append(ActionExecuted(action, timestamp=t))
        return self

    def bot(self, t: float, text: str = "…", response: str = "utter_answer", buttons: bool = False) -> Script:
        data = {"buttons": [{"title": "Oui", "payload": "/affirm"}]} if buttons else {}
        self.events += [BotUttered(text, data=data, metadata={"utter_action": response}, timestamp=t),
                        ActionExecuted("action_listen", timestamp=t)]
        return self

    def advisor(self, t: float, text: str) -> Script:
        self.events.append(BotUttered(text, metadata=advisor_metadata("Julie", "julie"),
                                      timestamp=t))
        return self

    def survey(self, t: float, request: str) -> Script:
        self.events.append(SlotSet("satisfaction_request", request, timestamp=t))
        return self


def scripts() -> List[Script]:
    alice = Script("web-alice", "socketio")
    t = at("2026-10-20", "10:00:00")
    alice.start(t).says(t, "bonjour", "greet").bot(t + 0.5)
    alice.says(t + 10, "où est ma commande", "track_order").bot(t + 11)
    # 3 Nov: the widget opened at 09:58 (the slot carried over is not a survey), the first message at 10:00.
    t = at("2026-11-03", "10:00:00")
    alice.start(t - 120).survey(t - 120, "order_tracking")
    alice.says(t, "où est mon colis CO100001", "track_order").runs(t + 0.1, "order_tracking_form")
    alice.bot(t + 0.5)
    alice.says(t + 20, "camille.martin@example.fr", "inform").bot(t + 21.5)
    alice.says(t + 60, "merci", "thank").bot(t + 60.2).survey(t + 60.3, "order_tracking")
    alice.says(t + 90, "5 super rapide", "give_rating").bot(t + 90.3)

    bob = Script("web-bob", "socketio")
    t = at("2026-11-05", "09:00:00")
    bob.start(t).says(t, "zorglub commande CO100002", "nlu_fallback", 0.3, guess="greet")
    bob.runs(t + 0.1, "action_two_stage_fallback").bot(t + 0.4, "Vous voulez… ?", buttons=True)
    bob.says(t + 15, "/track_order", "track_order", 1.0).bot(t + 15.6)
    t = at("2026-11-20", "14:00:00")
    bob.start(t).says(t, "je veux retourner ma robe", "return_item").bot(t + 0.8)

    carla = Script("web-carla", "socketio")
    t = at("2026-11-10", "15:00:00")
    carla.start(t).says(t, "quel temps fait-il à Lyon", "out_of_scope", 0.9)
    carla.runs(t + 0.1, "action_out_of_scope").bot(t + 0.3)
    carla.says(t + 20, "je veux un conseiller", "human_handoff").runs(t + 20.5, "action_handoff")
    carla.bot(t + 21, "Vous êtes n°1 dans la file", "utter_handoff_queued")
    carla.says(t + 60, "allo ?", "greet", 0.9).advisor(t + 120, "Bonjour, c'est Julie.")
    carla.external(t + 300, "EXTERNAL_handoff_closed").bot(t + 300.5, "Je suis de retour")
    carla.survey(t + 300.6, "handoff").says(t + 360, "2 trop long", "give_rating").bot(t + 360.4)

    dan = Script("rest-dan", "rest")
    t = at("2026-11-12", "11:00:00")
    dan.start(t).says(t, "zorglub commande CO100004", "nlu_fallback", 0.2, guess="greet")
    dan.runs(t + 0.1, "action_two_stage_fallback").bot(t + 0.5, "Vous voulez… ?", buttons=True)
    dan.says(t + 20, "toujours pas", "nlu_fallback", 0.3, guess="deny")
    dan.runs(t + 20.1, "action_default_fallback").bot(t + 20.7, "Un conseiller ?", buttons=True)
    dan.says(t + 40, "oui", "affirm", 0.99).runs(t + 40.5, "action_handoff")
    dan.bot(t + 40.9, "Vous êtes n°1 dans la file", "utter_handoff_queued")
    dan.external(t + 600, "EXTERNAL_handoff_closed").bot(t + 600.5).survey(t + 600.6, "handoff")
    t = at("2026-11-12", "13:30:00")
    dan.start(t).says(t, "je veux annuler ma commande", "cancel_order").bot(t + 1.2)

    emma = Script("fb-emma", "facebook")
    t = at("2026-11-25", "18:00:00")
    emma.start(t).says(t, "c'est combien la livraison", "faq", faq="delivery_cost").bot(t + 0.9)
    emma.says(t + 30, "je peux payer par paypal", "faq", faq="payment_methods").bot(t + 31.1)
    emma.says(t + 60, "et pour suivre ma commande", "track_order").bot(t + 60.6)
    emma.says(t + 90, "merci", "thank").bot(t + 90.3).survey(t + 90.4, "faq")
    emma.says(t + 120, "4", "give_rating").bot(t + 120.2)

    gina = Script("rest-gina", "rest")
    t = at("2026-10-31", "23:30:00")
    gina.start(t).says(t, "je veux annuler", "cancel_order").bot(t + 1.0)

    fred = Script("web-fred", "socketio")
    t = at("2026-12-01", "00:30:00")
    fred.start(t).says(t, "bonjour", "greet").bot(t + 0.5)
    fred.says(t + 10, "c'est nul", "complain").bot(t + 10.8).survey(t + 10.9, "handoff")

    ghost = Script("web-ghost", "socketio").start(at("2026-11-15", "12:00:00"))
    return [alice, bob, carla, dan, emma, gina, fred, ghost]


HANDOFFS = [  # sender, Unix time, reason
    ("web-carla", at("2026-11-10", "15:00:21"), "customer_request"),
    ("rest-dan", at("2026-11-12", "11:00:41"), "not_understood"),
    ("rest-gina", at("2026-10-31", "23:30:30"), "customer_request"),
    ("web-fred", at("2026-12-01", "00:30:11"), "offered"),
]
RATINGS = [  # sender, channel, Unix time, request, rating, comment
    ("web-alice", "socketio", at("2026-11-03", "10:01:30") + 0.5, "order_tracking", 5, "super rapide"),
    ("web-carla", "socketio", at("2026-11-10", "15:06:00") + 0.5, "handoff", 2, "trop long"),
    ("fb-emma", "facebook", at("2026-11-25", "18:02:00") + 0.3, "faq", 4, None),
    ("web-fred", "socketio", at("2026-12-01", "00:31:00"), "handoff", 1,
     "nul, rappelez-moi au 06 12 34 56 78"),
    ("rest-nobody", "rest", at("2026-11-15", "12:00:00"), "general", 3, "aucune conversation"),
]


def fill_tracker(store: SQLTrackerStore) -> None:
    """Saves every script with Rasa's tracker store."""
    for script in scripts():
        asyncio.run(store.save(DialogueStateTracker.from_events(script.sender, script.events)))
    store.engine.dispose()


def fill_shop(engine: Engine) -> None:
    """The handoffs (closed, so the desk's sweeper leaves them alone) and the ratings."""
    with Session(engine, future=True) as session, session.begin():
        for number, (sender, moment, reason) in enumerate(HANDOFFS, 1):
            ticket = Ticket(kind="handoff", reason=reason, conversation_id=sender, channel="x",
                            transcript="[]", created_at=utc(moment), number=f"TKT-{900000 + number}")
            session.add(ticket)
            session.flush()
            session.add(Handoff(ticket_id=ticket.id, conversation_id=sender, channel="x", reason=reason,
                                status="closed", summary=json.dumps({}), created_at=utc(moment)))
        for sender, channel, moment, request, rating, comment in RATINGS:
            session.add(SatisfactionRating(conversation_id=sender, channel=channel, request=request,
                                           rating=rating, comment=comment, created_at=utc(moment)))
