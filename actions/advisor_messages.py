"""How an advisor's message is marked in Rasa's tracker: one key, read by every part.

The desk appends an advisor's message as a ``bot`` event whose metadata holds
``ADVISOR_KEY`` (the advisor's display name). Not a plain ``advisor`` key: Rasa copies
the variables a response is filled with into its bot event's metadata, so Colibri's
own « {advisor} a clôturé votre échange » carries ``advisor`` too.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

ADVISOR_KEY = "desk_advisor"  # the advisor's display name
ADVISOR_USERNAME_KEY = "desk_advisor_username"
MAX_NAME = 60


def advisor_metadata(name: str, username: str) -> dict:
    """The metadata of an advisor's bot event."""
    return {ADVISOR_KEY: name, ADVISOR_USERNAME_KEY: username}


def advisor_name(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The advisor's name when ``metadata`` (a bot event's, or the message Rasa builds from it,
    where the metadata is merged) marks an advisor's message; else None."""
    name = (metadata or {}).get(ADVISOR_KEY)
    if isinstance(name, str) and name.strip():
        return name.strip()[:MAX_NAME]
    return None
