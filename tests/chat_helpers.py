"""Reading the bot's answers the way a customer does."""

from __future__ import annotations

from typing import List


def said(messages: List[dict]) -> str:
    """Everything the bot wrote, as one string."""
    return "\n".join(m.get("text", "") for m in messages)
