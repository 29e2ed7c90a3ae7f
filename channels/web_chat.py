"""Rasa's socket.io channel, telling the web chat which advisor wrote a pushed message.

An advisor's message reaches the customer as a ``bot`` event appended with
``execute_side_effects=true&output_channel=latest`` (desk/rasa_api.py), its metadata
naming the advisor (``actions.advisor_messages``). Rasa 3.6's ``SocketIOOutput`` emits
only ``{"text": ...}`` for it, so the widget could not say who wrote. ``WebChatInput``
keeps Rasa's socket.io channel (same name "socketio", same events and rooms) and
answers ``output_channel=latest`` with ``WebChatOutput``, which emits an advisor's
message as ``{"text": ..., "metadata": {"advisor": "Julie"}}``, one event per
paragraph as Rasa does. Everything else is Rasa's ``SocketIOOutput`` unchanged.

Several Rasa servers: a customer's socket is connected to one of them, while the
desk's push may reach another. With ``SOCKETIO_REDIS_URL`` set, the servers share
socket.io's rooms through Redis (python-socketio's ``AsyncRedisManager``), so a
message emitted anywhere reaches the customer's socket.
"""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager, AsyncServer

from actions.advisor_messages import advisor_name
from channels.failsafe import answer_failures


def advisor_of(message: Dict[str, Any]) -> Optional[str]:
    """The advisor's display name a bot message carries (its event's metadata is merged in)."""
    return advisor_name(message)


class WebChatOutput(SocketIOOutput):
    """``SocketIOOutput`` that adds ``metadata.advisor`` to an advisor's text messages."""

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        advisor = advisor_of(message)
        text = message.get("text")
        if advisor is None or not isinstance(text, str) or not text.strip():
            await super().send_response(recipient_id, message)
            return
        for paragraph in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": paragraph, "metadata": {"advisor": advisor}})


def share_rooms(sio: AsyncServer, redis_url: str) -> None:
    """Makes ``sio`` emit through Redis, before its first connection (when it starts its manager)."""
    manager = AsyncRedisManager(redis_url, channel="colibri-socketio")
    manager.set_server(sio)
    sio.manager = manager
    sio.manager_initialized = False


class WebChatInput(SocketIOInput):
    """Rasa's socket.io input channel whose pushed messages go through ``WebChatOutput``."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(answer_failures(on_new_message))
        redis_url = (os.environ.get("SOCKETIO_REDIS_URL") or "").strip()
        if redis_url and self.sio is not None:
            share_rooms(self.sio, redis_url)
        return blueprint

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()  # Rasa warns and answers None
        return WebChatOutput(self.sio, self.bot_message_evt)
