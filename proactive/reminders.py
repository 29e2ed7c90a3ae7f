"""Return reminders whose Rasa server is gone are sent all the same.

Rasa 3.6 keeps a reminder in the memory of the Rasa server that scheduled it: that server
killed or restarted, the reminder is lost. ``actions.outreach`` also records each one in the
shop's database (``pending_reminders``). A reminder still unsent ``RETURN_REMINDER_GRACE``
seconds (default 120) after it was due has lost its server: the web server claims it
(a conditional UPDATE: one web server only) and asks Rasa to fire it on the customer's latest
channel (``trigger_intent``), as Rasa's scheduler would. ``action_remind_return`` marks it
sent, so a late scheduler and a sweep never both speak. Sweeps run every
``RETURN_REMINDER_SWEEP_EVERY`` seconds (default 30).
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import select, update

from actions.db import session_scope
from actions.outreach import REMINDER_INTENT
from actions.outreach_models import PendingReminder
from actions.settings import number_from_env
from desk import periodic
from desk.rasa_api import RasaApi, RasaUnavailable

logger = logging.getLogger(__name__)


def grace() -> timedelta:
    """How long after its time a reminder is taken for lost."""
    return timedelta(seconds=number_from_env(
        "RETURN_REMINDER_GRACE", os.environ.get("RETURN_REMINDER_GRACE"), 120.0, 1.0, 86_400.0))


def send_lost(rasa: RasaApi, now: Optional[datetime] = None) -> List[str]:
    """Fires the reminders nobody sent in time; the conversations it asked Rasa to remind."""
    now = now or datetime.utcnow()
    unsent = (PendingReminder.sent_at.is_(None), PendingReminder.claimed_at.is_(None))
    with session_scope() as db:
        lost = db.execute(select(PendingReminder.conversation_id, PendingReminder.order_number)
                          .where(*unsent, PendingReminder.due_at <= now - grace())).all()
    fired = []
    for conversation, number in lost:
        with session_scope() as db:  # claim it: one web server fires it
            claimed = db.execute(update(PendingReminder)
                                 .where(PendingReminder.conversation_id == conversation, *unsent)
                                 .values(claimed_at=now)).rowcount == 1
        if not claimed:
            continue
        try:
            rasa.trigger(conversation, REMINDER_INTENT, {"order_id": number} if number else {})
        except RasaUnavailable as error:  # unclaimed: the next sweep tries again
            logger.warning("could not fire the lost return reminder of %s: %s", conversation, error)
            with session_scope() as db:
                db.execute(update(PendingReminder).where(PendingReminder.conversation_id == conversation)
                           .values(claimed_at=None))
            continue
        logger.info("fired the lost return reminder of %s", conversation)
        fired.append(conversation)
    return fired


def start(rasa: RasaApi) -> threading.Event:
    """Sweeps in a daemon thread; set the returned event to stop it."""
    return periodic.start("reminder-sweeper", "RETURN_REMINDER_SWEEP_EVERY", 30.0, lambda: send_lost(rasa))
