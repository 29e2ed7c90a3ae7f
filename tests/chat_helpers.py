"""Reading the bot's answers the way a customer does."""

from __future__ import annotations

import queue
from typing import List, Optional


def said(messages: List[dict]) -> str:
    """Everything the bot wrote, as one string."""
    return "\n".join(m.get("text", "") for m in messages)


def next_text(received: queue.Queue[dict], text: Optional[str], seconds: float) -> Optional[dict]:
    """The first socket.io ``bot_uttered`` message (with ``text`` if given) within ``seconds``, else None."""
    try:
        while True:
            message = received.get(timeout=seconds)
            if text is None or message.get("text") == text:
                return message
    except queue.Empty:
        return None
