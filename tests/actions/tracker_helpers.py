"""Builds rasa-sdk trackers and runs actions the way the action server does."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
SLOT_DEFAULTS = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}


def make_tracker(text: str = "", intent: str = "inform", slots: Optional[Dict[str, Any]] = None,
                 set_now: Optional[Dict[str, Any]] = None, entities: Iterable[dict] = (),
                 active_loop: Optional[str] = None, history: Iterable[dict] = (),
                 sender: str = "test-customer", channel: str = "rest") -> Tracker:
    """A tracker whose latest user message is ``text``.

    ``slots`` were set in earlier turns; ``set_now`` were extracted from this
    message (what a form validates).
    """
    values = {**SLOT_DEFAULTS, **(slots or {}), **(set_now or {})}
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.99},
             "entities": list(entities)}
    events: List[dict] = [*history, {"event": "user", "text": text, "timestamp": time.time(),
                                     "parse_data": parse, "input_channel": channel}]
    events += [{"event": "slot", "name": k, "value": v, "timestamp": time.time()}
               for k, v in (set_now or {}).items()]
    return Tracker(sender, values, parse, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


async def run(action: Action, tracker: Tracker) -> tuple[Dict[str, Any], List[dict]]:
    """Runs ``action``; returns the slots it set and the messages it sent."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, dispatcher.messages


def events_of(action: Action, **tracker: Any) -> tuple[List[dict], List[dict]]:
    """Runs ``action`` on ``make_tracker(**tracker)``; returns its events and messages."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, make_tracker(**tracker), DOMAIN))
    return events, dispatcher.messages


def slots_in(events: List[dict]) -> Dict[str, Any]:
    """The slots ``events`` set, by name."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: List[dict]) -> List[str]:
    """The names of the responses an action sent."""
    return [m.get("response") for m in messages]
