"""What every channel does before Rasa handles a message: cap its length, answer failures.

A text longer than ``MAX_MESSAGE_LENGTH`` characters is cut there: the NLU pipeline's
time grows with the text (100 kB of words held a Rasa server for two minutes, every
other customer waiting), and no customer writes that much to a chat.

When Rasa itself cannot handle a message, the customer still reads an apology.

Rasa 3.6's channels log the exception and answer nothing when the processor fails:
its lock store (Redis) or tracker store (PostgreSQL) unreachable, for instance.
``answer_failures`` wraps a channel's ``on_new_message``: the error is logged on one
line (the traceback at DEBUG), and the customer is told, on the channel they wrote
from, that the message could not be handled. Nothing is recorded: the customer
writes again once the service is back.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

logger = logging.getLogger(__name__)

APOLOGIES = (
    "Désolé, un problème technique m'empêche de traiter votre message pour le moment 😕 "
    "Réessayez dans quelques minutes, je serai de nouveau là.",
    "Oups, je n'arrive pas à traiter votre message tout de suite à cause d'un souci technique. "
    "Pouvez-vous réessayer un peu plus tard ?",
)

Handler = Callable[[UserMessage], Awaitable[Any]]
MAX_MESSAGE_LENGTH = 5000  # characters


def answer_failures(on_new_message: Handler) -> Handler:
    """``on_new_message`` for capped texts, that apologises instead of failing silently."""

    async def handle(message: UserMessage) -> Any:
        if isinstance(message.text, str) and len(message.text) > MAX_MESSAGE_LENGTH:
            message.text = message.text[:MAX_MESSAGE_LENGTH]
        try:
            return await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - whatever failed, the customer is answered
            logger.error("could not handle a message on %s: %s: %s", message.input_channel,
                         type(error).__name__, " ".join(str(error).split()))
            logger.debug("traceback of the failure above", exc_info=True)
            try:
                await message.output_channel.send_text_message(message.sender_id, random.choice(APOLOGIES))
            except Exception as reply_error:  # noqa: BLE001 - the channel itself may be the problem
                logger.error("could not apologise on %s either: %s", message.input_channel, reply_error)
            return None

    return handle
