"""Local stand-in for Meta's Messenger Send API (standard library only).

Run it from the repository's root, then point the Messenger channel at it::

    python -m simulators.graph_api --host 127.0.0.1 --port 8092 --token dev-page-token
    MESSENGER_GRAPH_URL=http://127.0.0.1:8092 MESSENGER_PAGE_TOKEN=dev-page-token

Tests use ``start_in_thread()`` and ``server.stop()``.

Contract followed (developers.facebook.com, Messenger Platform, Send API):
``POST /v{version}/me/messages?access_token=<page token>`` with a JSON body holding
``recipient.id`` and either ``message`` (``text`` or ``attachment``, optional
``quick_replies``) or ``sender_action`` (``typing_on``, ``typing_off``, ``mark_seen``).

- 401, ``{"error": {"message", "type": "OAuthException", "code": 190, "fbtrace_id"}}``:
  token missing or wrong (checked first; the real Graph API may answer 400 with the
  same body, ``TOKEN_ERROR_STATUS`` changes it);
- 400, ``{"error": {..., "code": 100}}``: body not a JSON object, no ``recipient.id``,
  neither or both of ``message`` and ``sender_action``, unknown sender action, a
  message without ``text`` or ``attachment``, or over Messenger's limits (text over
  2,000 characters, more than 13 quick replies, quick reply title over 20 characters,
  button template with more than 3 buttons or text over 640 characters);
- 404 (code 803-style) on any other path, 405 on another method;
- 200, ``{"recipient_id", "message_id"}`` (``{"recipient_id"}`` for a sender action).

Every request is recorded in ``calls`` (``method``, ``path``, ``version``, ``query``,
``body``, ``status``); ``messages()`` and ``actions()`` list the accepted ones.
``reset()`` clears them.
"""

from __future__ import annotations

import argparse
import hmac
import itertools
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulators import LoopbackServer

logger = logging.getLogger(__name__)

PATH = re.compile(r"/v(?P<version>\d+\.\d+)/me/messages")
SENDER_ACTIONS = {"typing_on", "typing_off", "mark_seen"}
MAX_TEXT = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_TEMPLATE_BUTTONS = 3
MAX_TEMPLATE_TEXT = 640
TOKEN_ERROR_STATUS = 401


def _error(message: str, code: int, kind: str = "OAuthException") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "SIMULATED"}}


def message_problem(message: Any) -> str | None:
    """Why ``message`` breaks the Send API contract, or None."""
    if not isinstance(message, dict):
        return "(#100) message must be an object"
    text, attachment = message.get("text"), message.get("attachment")
    if text is None and attachment is None:
        return "(#100) Must send either message.text or message.attachment"
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        return f"(#100) Length of param message[text] must be less than or equal to {MAX_TEXT}"
    quick_replies = message.get("quick_replies")
    if quick_replies is not None:
        if not isinstance(quick_replies, list) or len(quick_replies) > MAX_QUICK_REPLIES:
            return f"(#100) param message[quick_replies] must have at most {MAX_QUICK_REPLIES} elements"
        for reply in quick_replies:
            if not isinstance(reply, dict) or len(str(reply.get("title", ""))) > MAX_QUICK_REPLY_TITLE:
                return f"(#100) quick reply title must be at most {MAX_QUICK_REPLY_TITLE} characters"
    if isinstance(attachment, dict) and attachment.get("type") == "template":
        payload = attachment.get("payload") or {}
        if payload.get("template_type") == "button":
            if len(payload.get("buttons") or []) > MAX_TEMPLATE_BUTTONS:
                return f"(#100) param buttons must have at most {MAX_TEMPLATE_BUTTONS} elements"
            if len(str(payload.get("text", ""))) > MAX_TEMPLATE_TEXT:
                return f"(#100) param text must be at most {MAX_TEMPLATE_TEXT} characters"
    return None


class GraphApiSimulator(LoopbackServer):
    """The simulated Send API, with its page access token and its record of calls."""

    thread_name = "graph-api-simulator"

    def __init__(self, address: tuple[str, int], token: str) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.calls: list[dict[str, Any]] = []

    def messages(self) -> list[dict[str, Any]]:
        """Accepted bodies holding a ``message``, oldest first."""
        return [c["body"] for c in self.calls if c["status"] == 200 and "message" in c["body"]]

    def actions(self) -> list[str]:
        """Accepted sender actions, oldest first."""
        return [c["body"]["sender_action"] for c in self.calls
                if c["status"] == 200 and "sender_action" in c["body"]]

    def answer(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        match = PATH.fullmatch(parts.path)
        recorded = body if isinstance(body, dict) else {"raw": raw.decode("utf-8", "replace")}
        status, answer = self._decide(handler.command, match, query, body)
        with self._lock:
            self.calls.append({
                "method": handler.command, "path": parts.path,
                "version": match["version"] if match else None,
                "query": query, "body": recorded,
                "status": status,
            })
        handler.send_json(status, answer)

    def _decide(self, method: str, match: re.Match | None, query: dict[str, str],
                body: Any) -> tuple[int, dict[str, Any]]:
        if match is None:
            return 404, _error("Unknown path components", 803)
        if method != "POST":
            return 405, _error("Unsupported method", 100)
        if not hmac.compare_digest(query.get("access_token", "").encode(), self.token.encode()):
            return TOKEN_ERROR_STATUS, _error("Invalid OAuth access token - Cannot parse access token", 190)
        if not isinstance(body, dict):
            return 400, _error("(#100) The request body must be a JSON object", 100)
        recipient = body.get("recipient")
        if not isinstance(recipient, dict) or not recipient.get("id"):
            return 400, _error("(#100) The parameter recipient is required", 100)
        has_message, has_action = "message" in body, "sender_action" in body
        if has_message == has_action:
            return 400, _error("(#100) Send exactly one of message and sender_action", 100)
        if has_action:
            if body["sender_action"] not in SENDER_ACTIONS:
                return 400, _error("(#100) param sender_action must be one of "
                                   + ", ".join(sorted(SENDER_ACTIONS)), 100)
            return 200, {"recipient_id": str(recipient["id"])}
        problem = message_problem(body["message"])
        if problem:
            return 400, _error(problem, 100)
        return 200, {"recipient_id": str(recipient["id"]), "message_id": f"m_sim{next(self._ids)}"}


class _Handler(BaseHTTPRequestHandler):
    server: GraphApiSimulator
    server_version = "GraphApiSimulator/1.0"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.server.answer(self)

    do_GET = do_PUT = do_DELETE = do_POST  # noqa: N815 - http.server names; 405 or 404

    def send_json(self, status: int, body: Any) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        logger.info("%s %s", self.address_string(), format % args)


def start_in_thread(port: int = 0, token: str = "test-page-token",
                    host: str = "127.0.0.1") -> tuple[GraphApiSimulator, str]:
    """Starts a simulator in a daemon thread; returns it and its base URL (``port=0``: free)."""
    server = GraphApiSimulator((host, port), token=token)
    server.start()
    return server, server.base_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulated Messenger Send API (Graph API).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--token", default="dev-page-token", help="expected page access token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = GraphApiSimulator((args.host, args.port), token=args.token)
    logger.info("Graph API simulator on %s", server.base_url)
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
