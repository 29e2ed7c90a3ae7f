"""Rasa's Facebook Messenger channel, with Meta's SHA-256 signature and Messenger's limits.

Rasa 3.6's ``FacebookInput`` checks only the SHA-1 ``X-Hub-Signature`` (with ``==``),
answers 200 to a forged request, always talks to ``https://graph.facebook.com/v2.12``
and drops buttons beyond the third. ``MessengerInput`` keeps Rasa's parsing of the
webhook events (``Messenger``) and its output channel (``MessengerBot``) and changes:

- ``POST /webhooks/facebook/webhook``: processed only if ``X-Hub-Signature-256`` is
  ``sha256=`` + the hex HMAC-SHA256 of the raw body keyed with the app secret
  (``hmac.compare_digest``); otherwise 403 and nothing is processed. Every messaging
  event of a batch is handled (Rasa stops after the first).
- ``GET /webhooks/facebook/webhook``: Meta's verification request
  (``hub.mode=subscribe``, ``hub.verify_token``, ``hub.challenge``) answers the
  challenge, or 403 when the mode or the token is wrong.
- The Graph API base URL and version come from the credentials (``graph_api_url``,
  ``graph_api_version``), for the local simulator (``simulators/graph_api.py``).
- The output channel sends ``typing_on`` before each reply, splits texts longer than
  2,000 characters at sentence (else word) boundaries, sends more than 3 buttons as
  quick replies (at most 13), and logs Graph API errors instead of raising.

The name stays "facebook", so the webhook stays ``/webhooks/facebook/webhook`` and
``output_channel=latest`` (the advisors' desk) finds this channel's output channel.

Credentials (docs/channels.md): ``credentials.yml`` lists the channel with no values, and
each value comes from the environment (Rasa refuses to start when a ``${VAR}`` of
``credentials.yml`` is unset, which would stop every set-up without Messenger)::

    MESSENGER_VERIFY_TOKEN   verify   the verify token typed in Meta's webhook settings
    MESSENGER_APP_SECRET     secret   the app secret (signs X-Hub-Signature-256)
    MESSENGER_PAGE_TOKEN     page-access-token
    MESSENGER_GRAPH_URL      graph_api_url      optional, https://graph.facebook.com
    MESSENGER_GRAPH_VERSION  graph_api_version  optional, 23.0

A value written in ``credentials.yml`` wins over its variable. Until the first three are
set the channel is off: its webhook answers 403 to everything.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional

import requests
from fbmessenger import MessengerClient
from fbmessenger.elements import Text as FBText
from fbmessenger.sender_actions import SenderAction
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.failsafe import answer_failures
from channels.web_chat import advisor_of

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_API_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_API_VERSION = "23.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
GRAPH_TIMEOUT = 10  # seconds, per Graph API call
# credentials.yml key -> environment variable read when the key is absent or empty
ENVIRONMENT = {
    "verify": "MESSENGER_VERIFY_TOKEN",
    "secret": "MESSENGER_APP_SECRET",
    "page-access-token": "MESSENGER_PAGE_TOKEN",
    "graph_api_url": "MESSENGER_GRAPH_URL",
    "graph_api_version": "MESSENGER_GRAPH_VERSION",
}

MAX_TEXT = 2000  # characters of a text message
MAX_TEMPLATE_TEXT = 640  # characters of a button template's text
MAX_TEMPLATE_BUTTONS = 3
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20

_SENTENCE_END = re.compile(r"[.!?…]+[\"»”)\]]*\s+")


def signature_for(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def valid_signature(app_secret: Optional[str], body: bytes, header: Optional[str]) -> bool:
    """Whether ``header`` is the SHA-256 signature of ``body``; False without a secret."""
    if not app_secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(signature_for(app_secret, body).encode(), header.strip().encode())


def split_text(text: str, limit: int = MAX_TEXT) -> List[str]:
    """``text`` in pieces of at most ``limit`` characters, cut after a sentence if one
    ends in the piece's second half, else at the last whitespace, else hard."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]  # a boundary right after the limit still counts
        cut = 0
        for match in _SENTENCE_END.finditer(window):
            if match.start() < limit and match.end() > limit // 2:
                cut = min(match.end(), limit)
        if not cut:
            cut = max(window.rfind(" "), window.rfind("\n"))
            if cut <= 0:
                cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


class GraphMessengerClient(MessengerClient):
    """``fbmessenger``'s client with a configurable Graph API URL and version.

    Its methods answer the Graph API's JSON; a failed call (network error, non-JSON
    body, ``{"error": ...}``) is logged and answered as ``{"error": {...}}`` instead of
    raising, so a wrong token or an unreachable Graph API never breaks a conversation.
    """

    def __init__(
        self,
        page_access_token: str,
        graph_api_url: str = DEFAULT_GRAPH_API_URL,
        api_version: str = DEFAULT_GRAPH_API_VERSION,
        **kwargs: Any,
    ) -> None:
        super().__init__(page_access_token, api_version=api_version, **kwargs)
        self.graph_url = f"{graph_api_url.rstrip('/')}/v{api_version}"

    def _checked(self, call: Callable[[], Dict[str, Any]], what: str) -> Dict[str, Any]:
        try:
            answer = call()
        except (requests.RequestException, ValueError) as error:
            logger.error("Graph API %s failed: %s: %s", what, type(error).__name__, error)
            return {"error": {"message": str(error), "type": type(error).__name__}}
        if isinstance(answer, dict) and "error" in answer:
            logger.error("Graph API %s refused: %s", what, answer["error"])
        return answer

    def send(self, payload: Any, recipient_id: str, *args: Any, **kwargs: Any) -> Dict[str, Any]:
        kwargs.setdefault("timeout", GRAPH_TIMEOUT)
        return self._checked(lambda: super(GraphMessengerClient, self).send(
            payload, recipient_id, *args, **kwargs), "send")

    def send_action(self, sender_action: Any, recipient_id: str, timeout: Any = None) -> Dict[str, Any]:
        return self._checked(lambda: super(GraphMessengerClient, self).send_action(
            sender_action, recipient_id, timeout=timeout or GRAPH_TIMEOUT), "sender action")


class MessengerOutput(MessengerBot):
    """Rasa's ``MessengerBot`` within Messenger's limits, with a typing indicator."""

    async def _run(self, call: Callable[[], Any]) -> Any:
        """A blocking client call (``requests``), off the event loop."""
        return await asyncio.to_thread(call)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Rasa's, after ``typing_on``; an advisor's text starts with the advisor's name."""
        advisor = advisor_of(message)
        if advisor and isinstance(message.get("text"), str):
            message = {**message, "text": f"{advisor} (service client) : {message['text']}"}
        await self.send_action(recipient_id, sender_action="typing_on")
        await super().send_response(recipient_id, message)

    async def send_action(self, recipient_id: str, sender_action: str) -> None:
        action = SenderAction(sender_action).to_dict()
        await self._run(lambda: self.messenger_client.send_action(action, recipient_id))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for paragraph in text.strip().split("\n\n"):
            for piece in split_text(paragraph):
                await self._run(lambda piece=piece: self.send(recipient_id, FBText(text=piece)))

    async def _text_before(self, recipient_id: str, text: str, limit: int) -> str:
        """Sends all of ``text`` but its last piece of at most ``limit`` characters,
        which it answers (to go with the buttons or quick replies)."""
        pieces = split_text(text, limit) or [""]
        for piece in pieces[:-1]:
            await self.send_text_message(recipient_id, piece)
        return pieces[-1]

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        if len(buttons) > MAX_TEMPLATE_BUTTONS:
            quick_replies = [{"content_type": "text", **button} for button in buttons]
            kwargs.pop("quick_replies", None)  # Rasa passes the rest of the message, None here
            await self.send_quick_replies(recipient_id, text, quick_replies, **kwargs)
            return
        buttons = [dict(button) for button in buttons]
        self._add_postback_info(buttons)
        last = await self._text_before(recipient_id, text, MAX_TEMPLATE_TEXT)
        payload = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "button", "text": last, "buttons": buttons},
            }
        }
        await self._run(lambda: self.messenger_client.send(payload, recipient_id, "RESPONSE"))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        if len(quick_replies) > MAX_QUICK_REPLIES:
            logger.warning(
                "Messenger shows at most %d quick replies: %d dropped.",
                MAX_QUICK_REPLIES, len(quick_replies) - MAX_QUICK_REPLIES,
            )
        # built here: fbmessenger's QuickReplies still enforces the old limit of 10
        replies = []
        for reply in quick_replies[:MAX_QUICK_REPLIES]:
            content_type = reply.get("content_type") or "text"
            if content_type != "text":  # user_email, user_phone_number: no title, no payload
                replies.append({"content_type": content_type})
                continue
            title, payload = str(reply.get("title") or ""), reply.get("payload")
            if not title or payload is None:
                logger.warning("Messenger: quick reply without title or payload dropped: %s", reply)
                continue
            if len(title) > MAX_QUICK_REPLY_TITLE:
                title = title[: MAX_QUICK_REPLY_TITLE - 1] + "…"
            item = {"content_type": "text", "title": title, "payload": str(payload)}
            if reply.get("image_url"):
                item["image_url"] = reply["image_url"]
            replies.append(item)
        last = await self._text_before(recipient_id, text, MAX_TEXT)
        message = {"text": last, "quick_replies": replies} if replies else {"text": last}
        await self._run(lambda: self.messenger_client.send(message, recipient_id, "RESPONSE"))


class ColibriMessenger(Messenger):
    """Rasa's webhook event parser, replying through ``MessengerOutput``."""

    def __init__(
        self, client: GraphMessengerClient, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        self.on_new_message = on_new_message
        self.client = client
        self.last_message: Dict[str, Any] = {}

    async def handle(self, payload: Dict, metadata: Optional[Dict[str, Any]]) -> None:
        """Every messaging event of the batch (Rasa's returns after the first)."""
        for entry in payload.get("entry") or []:
            for message in entry.get("messaging") or []:
                self.last_message = message
                if message.get("message"):
                    await self.message(message, metadata)
                elif message.get("postback"):
                    await self.postback(message, metadata)

    async def _handle_user_message(
        self, text: str, sender_id: str, metadata: Optional[Dict[str, Any]]
    ) -> None:
        out_channel = MessengerOutput(self.client)
        await out_channel.send_action(sender_id, sender_action="mark_seen")
        user_msg = UserMessage(text, out_channel, sender_id, input_channel=self.name(), metadata=metadata)
        try:
            await self.on_new_message(user_msg)
        except Exception:
            logger.exception("Exception when trying to handle webhook for facebook message.")


class MessengerInput(FacebookInput):
    """Rasa's Facebook input channel with SHA-256 signatures and a configurable Graph API."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Each value from ``credentials`` if given there, else from its environment variable
        (``ENVIRONMENT``); without an app secret the webhook refuses every event (403)."""
        credentials = credentials or {}

        def value(key: str) -> str:
            return str(credentials.get(key) or os.environ.get(ENVIRONMENT[key], "")).strip()

        return cls(
            value("verify"),
            value("secret"),
            value("page-access-token"),
            graph_api_url=value("graph_api_url") or DEFAULT_GRAPH_API_URL,
            graph_api_version=value("graph_api_version") or DEFAULT_GRAPH_API_VERSION,
        )

    def __init__(
        self,
        fb_verify: str,
        fb_secret: str,
        fb_access_token: str,
        graph_api_url: str = DEFAULT_GRAPH_API_URL,
        graph_api_version: str = DEFAULT_GRAPH_API_VERSION,
    ) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.graph_api_url = graph_api_url
        self.graph_api_version = graph_api_version
        missing = [ENVIRONMENT[key] for key, given in
                   (("verify", fb_verify), ("secret", fb_secret), ("page-access-token", fb_access_token))
                   if not given]
        if missing:
            logger.warning("Messenger is off until %s %s set: its webhook answers 403.",
                           ", ".join(missing), "is" if len(missing) == 1 else "are")

    @property
    def enabled(self) -> bool:
        """Whether the app secret, the verify token and the page token are all set."""
        return bool(self.fb_verify and self.fb_secret and self.fb_access_token)

    def client(self) -> GraphMessengerClient:
        return GraphMessengerClient(self.fb_access_token, self.graph_api_url, self.graph_api_version)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        fb_webhook = Blueprint("fb_webhook", __name__)

        @fb_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if (
                request.args.get("hub.mode") == "subscribe"
                and self.fb_verify
                and hmac.compare_digest(token.encode(), str(self.fb_verify).encode())
            ):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("Messenger: webhook verification refused (wrong hub.mode or hub.verify_token).")
            return response.text("forbidden", status=403)

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                logger.warning("Messenger is off (credentials missing): webhook event refused.")
                return response.text("forbidden", status=403)
            if not valid_signature(self.fb_secret, request.body, request.headers.get(SIGNATURE_HEADER)):
                logger.warning("Messenger: missing or wrong %s, request refused.", SIGNATURE_HEADER)
                return response.text("forbidden", status=403)
            try:
                payload = request.json
            except Exception:
                payload = None
            if not isinstance(payload, dict):
                return response.text("bad request", status=400)
            messenger = ColibriMessenger(self.client(), answer_failures(on_new_message))
            await messenger.handle(payload, self.get_metadata(request))
            return response.text("success")

        return fb_webhook

    def get_output_channel(self) -> OutputChannel:
        return MessengerOutput(self.client())
