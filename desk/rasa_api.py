"""The desk's client for Rasa's HTTP API (the conversation is recorded there, and only there).

- ``messages``: the transcript, read from the tracker (customer, Colibri, advisors);
- ``say``: an advisor's message, appended as a ``bot`` event with side effects on the
  customer's latest channel, so it is recorded and delivered;
- ``hand_back``: ``resume``, then the external intent that makes Colibri speak again;
- ``tracker`` and ``trigger``: what the proactive messages (``proactive/``) need.

``RASA_URL`` (default http://127.0.0.1:5005) and ``RASA_AUTH_TOKEN``; every call has
a timeout (``RASA_TIMEOUT``, seconds).
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import requests

from actions.advisor_messages import advisor_metadata
from actions.settings import number_from_env
from actions.tickets import conversation_lines

CLOSED_INTENT = "EXTERNAL_handoff_closed"  # the advisor closed the conversation
NO_ADVISOR_INTENT = "EXTERNAL_no_advisor"  # nobody came: Colibri offers a callback instead


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


@dataclass
class RasaApi:
    url: str
    token: Optional[str]
    timeout: float = 5.0

    @classmethod
    def from_env(cls) -> RasaApi:
        timeout = number_from_env("RASA_TIMEOUT", os.environ.get("RASA_TIMEOUT"), 5.0, 0.5, 60.0)
        return cls(os.environ.get("RASA_URL") or "http://127.0.0.1:5005",
                   os.environ.get("RASA_AUTH_TOKEN") or None, timeout)

    def _call(self, method: str, conversation_id: str, suffix: str, params: Dict[str, str],
              body: Any = None) -> Any:
        path = f"/conversations/{urllib.parse.quote(conversation_id, safe='')}/{suffix}"
        if self.token:
            params = {**params, "token": self.token}
        try:
            reply = requests.request(method, self.url.rstrip("/") + path, params=params, json=body,
                                     timeout=self.timeout)
        except requests.RequestException as error:
            raise RasaUnavailable(str(error)) from None
        if reply.status_code >= 400:
            raise RasaUnavailable(f"{method} {suffix}: HTTP {reply.status_code}")
        return reply.json()

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        """The conversation's tracker with all its events (an unknown id: no events)."""
        return self._call("GET", conversation_id, "tracker", {"include_events": "ALL"})

    def trigger(self, conversation_id: str, intent: str, entities: Dict[str, Any]) -> None:
        """Makes Colibri act on ``intent`` and answer on the customer's latest channel."""
        self._call("POST", conversation_id, "trigger_intent",
                   {"output_channel": "latest", "include_events": "NONE"},
                   {"name": intent, "entities": entities})

    def messages(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Every message of the conversation, oldest first, numbered from 0."""
        tracker = self.tracker(conversation_id)
        return [{"index": index, **line}
                for index, line in enumerate(conversation_lines(tracker.get("events") or []))]

    def say(self, conversation_id: str, text: str, advisor: str, username: str) -> None:
        """Records and delivers an advisor's message on the customer's latest channel."""
        # No timestamp: Rasa stamps the event with its own clock, which REST pickups compare with.
        event = {"event": "bot", "text": text, "metadata": advisor_metadata(advisor, username)}
        self._call("POST", conversation_id, "tracker/events",
                   {"include_events": "NONE", "output_channel": "latest",
                    "execute_side_effects": "true"}, event)

    def hand_back(self, conversation_id: str, advisor: Optional[str] = None,
                  intent: str = CLOSED_INTENT) -> None:
        """Resumes the conversation; Colibri speaks again (``intent``, with the advisor's name)."""
        # ``action_listen`` after ``resume``: while paused Rasa predicted nothing, so the rules
        # must see Colibri listening again before the external intent (as after any turn).
        self._call("POST", conversation_id, "tracker/events", {"include_events": "NONE"},
                   [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
        self.trigger(conversation_id, intent, {"advisor_name": advisor} if advisor else {})
