"""``POST /api/proactive/order-delivered`` on the web server, for the shop's systems.

``Authorization: Bearer <PROACTIVE_TOKEN>`` (compared in constant time) and a JSON
body ``{"order_id": "CO100006"}``. Answers the outcome as JSON: 200 (sent, or skipped
with its reason), 400 (bad JSON or order number), 401 (no or wrong token), 404 (unknown
order), 503 (Rasa unreachable, or no ``PROACTIVE_TOKEN`` configured: the endpoint is off).
"""

from __future__ import annotations

import hmac
import json
import os
from http import HTTPStatus
from typing import Any, Mapping, Optional

from desk.api import Reply
from proactive.delivered import notify_delivered

PATH = "/api/proactive/order-delivered"


class ProactiveEndpoint:
    """The endpoint's logic, independent of the HTTP server."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = (os.environ.get("PROACTIVE_TOKEN") if token is None else token) or ""

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path.split("?", 1)[0] != PATH:
            return Reply(HTTPStatus.NOT_FOUND, {"error": "not found"})
        if not self.token:
            return Reply(HTTPStatus.SERVICE_UNAVAILABLE,
                         {"error": "proactive messages are off (PROACTIVE_TOKEN)"})
        given = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return Reply(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"},
                         [("WWW-Authenticate", "Bearer")])
        try:
            payload: Any = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = None
        if not isinstance(payload, dict):
            return Reply(HTTPStatus.BAD_REQUEST, {"error": 'expected a JSON object {"order_id": "CO100006"}'})
        outcome = notify_delivered(payload.get("order_id"))
        return Reply(outcome.http_status, outcome.to_json())
