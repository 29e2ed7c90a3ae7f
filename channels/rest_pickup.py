"""Rasa's REST channel plus a route where the customer picks up messages pushed later.

The REST channel is request/response: a message pushed into the conversation
afterwards, like an advisor's (``POST /conversations/<id>/tracker/events
?execute_side_effects=true&output_channel=latest``), is recorded in the tracker
but never reaches the customer. ``RestWithPickup`` keeps the channel's name
("rest", so the webhook stays ``/webhooks/rest/webhook``) and adds::

    GET /webhooks/rest/messages?sender=<id>&since=<Unix timestamp, seconds>

It answers the bot messages recorded after ``since`` (default 0), oldest first,
at most ``MAX_MESSAGES``, each item shaped like the webhook's reply items plus
the ``timestamp`` of its bot event (and ``advisor``, the name, for an advisor's):
pass the last one as the next ``since``.
Messages are read from the tracker store, so any tracker store and any number of
Rasa servers work, and no second copy of them is kept. Bad input gets a 400 with
``{"error": ...}``; an unknown sender, an empty list.

The webhook itself is stricter than Rasa's: the body must be a JSON object with
``sender`` and ``message`` strings (Rasa answers 500 to anything else, and puts a
message without ``sender`` in one conversation shared by all such clients, "default");
the client does not choose the ``input_channel`` its conversation is recorded on.
"""

from __future__ import annotations

import math
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse

from channels.failsafe import MAX_MESSAGE_LENGTH, answer_failures
from channels.web_chat import advisor_of

MAX_MESSAGES = 100
MAX_SENDER_LENGTH = 255  # the width of the SQL tracker store's sender_id column


class BadQuery(ValueError):
    """The pickup request's query string is unusable; the message says why."""


def parse_query(args: RequestParameters) -> Tuple[str, float]:
    """``sender`` and ``since`` from the query string; raises ``BadQuery``."""
    sender = args.get("sender")
    if not sender:
        raise BadQuery("the query parameter 'sender' is required")
    if len(sender) > MAX_SENDER_LENGTH:
        raise BadQuery(f"'sender' is longer than {MAX_SENDER_LENGTH} characters")
    raw_since = args.get("since")
    if raw_since is None:
        return sender, 0.0
    try:
        since = float(raw_since)
    except ValueError:
        since = math.nan
    if not math.isfinite(since):
        raise BadQuery("'since' must be a finite number: a Unix timestamp in seconds")
    return sender, since


async def messages_after(tracker_store: TrackerStore, sender: str, since: float) -> List[Dict[str, Any]]:
    """The bot messages of ``sender``'s conversation recorded after ``since``, oldest first.

    Each bot event goes through the collector the webhook answers with, so the
    items are the webhook's. The items of one event (a text split at its blank
    lines) are never cut across two pages, so the last timestamp is a safe next
    ``since``.
    """
    tracker = await tracker_store.retrieve_full_tracker(sender)
    if tracker is None:
        return []
    messages: List[Dict[str, Any]] = []
    for event in tracker.events:
        if not isinstance(event, BotUttered) or event.timestamp <= since:
            continue
        collector = CollectingOutputChannel()
        await collector.send_response(sender, event.message())
        if messages and len(messages) + len(collector.messages) > MAX_MESSAGES:
            break
        advisor = advisor_of(event.metadata or {})
        extra = {"timestamp": event.timestamp, **({"advisor": advisor} if advisor else {})}
        messages.extend({**item, **extra} for item in collector.messages)
    return messages[:MAX_MESSAGES]


async def pickup(request: Request) -> HTTPResponse:
    """``GET /webhooks/rest/messages``: the messages for ``sender`` recorded after ``since``."""
    try:
        sender, since = parse_query(request.args)
    except BadQuery as error:
        return response.json({"error": str(error)}, status=400)
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return response.json({"error": "the assistant is not ready yet"}, status=503)
    return response.json(await messages_after(agent.tracker_store, sender, since))


def json_object(request: Request) -> Dict[str, Any]:
    """The body, a JSON object; anything else is a 400 (not JSON at all: Sanic's own 400)."""
    body = request.json
    if not isinstance(body, dict):
        raise InvalidUsage('the body must be a JSON object: {"sender": "...", "message": "..."}')
    return body


class RestWithPickup(RestInput):
    """The REST channel (still named "rest") with the pickup route and checked bodies."""

    async def _extract_sender(self, req: Request) -> Optional[str]:
        sender = json_object(req).get("sender")
        if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_LENGTH or "\x00" in sender:
            raise InvalidUsage(f"'sender' must be a string of 1 to {MAX_SENDER_LENGTH} characters")
        return sender

    def _extract_message(self, req: Request) -> Optional[str]:
        message = json_object(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("'message' must be a string")
        return message[:MAX_MESSAGE_LENGTH]

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """The REST channel's routes plus ``GET /messages``."""
        webhook = super().blueprint(answer_failures(on_new_message))
        webhook.add_route(pickup, "/messages", methods=["GET"])
        return webhook
