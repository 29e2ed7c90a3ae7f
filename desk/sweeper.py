"""No customer left waiting for nobody.

When no advisor has had the desk open for ``ABANDON_AFTER`` (every advisor signed out,
or the hours ended with people in the queue), the web server hands each waiting
conversation back to Colibri with ``EXTERNAL_no_advisor``: Colibri apologises and offers
a callback or a written answer. ``DESK_ABANDON_AFTER`` (seconds, default 120) and
``DESK_SWEEP_EVERY`` (seconds, default 30) tune it.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import select, update

from actions.db import session_scope
from actions.desk_models import CLOSED, WAITING, AdvisorSession, Handoff
from actions.settings import number_from_env
from desk import periodic
from desk.rasa_api import NO_ADVISOR_INTENT, RasaApi, RasaUnavailable

logger = logging.getLogger(__name__)


def abandon_after() -> timedelta:
    seconds = number_from_env("DESK_ABANDON_AFTER", os.environ.get("DESK_ABANDON_AFTER"), 120, 1, 86_400)
    return timedelta(seconds=seconds)


def _last_advisor_seen() -> Optional[datetime]:
    with session_scope() as db:
        return db.execute(select(AdvisorSession.last_seen).order_by(AdvisorSession.last_seen.desc())
                          .limit(1)).scalar()


def release_abandoned(rasa: RasaApi, now: Optional[datetime] = None) -> List[str]:
    """Hands back the waiting conversations when no advisor has been around; their ids."""
    now = now or datetime.utcnow()
    seen = _last_advisor_seen()
    if seen is not None and seen > now - abandon_after():
        return []
    with session_scope() as db:
        waiting = db.execute(select(Handoff.id, Handoff.conversation_id)
                             .where(Handoff.status == WAITING, Handoff.created_at <= now - abandon_after())
                             ).all()
    released = []
    for handoff_id, conversation_id in waiting:
        with session_scope() as db:  # claim it first: a late advisor's « Prendre » wins or loses cleanly
            claimed = db.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status == WAITING)
                                 .values(status=CLOSED, closed_at=now)).rowcount == 1
        if not claimed:
            continue
        try:
            rasa.hand_back(conversation_id, intent=NO_ADVISOR_INTENT)
        except RasaUnavailable as error:  # put it back in the queue; next sweep retries
            logger.warning("could not hand %s back to Colibri: %s", conversation_id, error)
            with session_scope() as db:
                db.execute(update(Handoff).where(Handoff.id == handoff_id)
                           .values(status=WAITING, closed_at=None))
            continue
        released.append(conversation_id)
    return released


def start(rasa: RasaApi) -> threading.Event:
    """Sweeps in a daemon thread; set the returned event to stop it."""
    return periodic.start("desk-sweeper", "DESK_SWEEP_EVERY", 30.0, lambda: release_abandoned(rasa))
