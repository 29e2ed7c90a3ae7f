"""A message Rasa cannot handle still gets an answer, and the log says why on one line."""

from __future__ import annotations

import asyncio
import logging

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.failsafe import APOLOGIES, MAX_MESSAGE_LENGTH, answer_failures


def message(output: CollectingOutputChannel) -> UserMessage:
    return UserMessage("où est ma commande ?", output, "client-1", input_channel="rest")


def test_a_failure_of_rasa_becomes_an_apology_and_one_clear_log_line(caplog) -> None:
    async def lock_store_down(_: UserMessage) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    output = CollectingOutputChannel()
    with caplog.at_level(logging.INFO, logger="channels.failsafe"):
        asyncio.run(answer_failures(lock_store_down)(message(output)))
    assert [m["text"] for m in output.messages] in ([text] for text in APOLOGIES)
    assert output.messages[0]["recipient_id"] == "client-1"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "ConnectionError" in errors[0].getMessage() and "6379" in errors[0].getMessage()
    assert errors[0].exc_info is None  # the traceback only at DEBUG


def test_a_handled_message_is_left_alone() -> None:
    async def fine(msg: UserMessage) -> str:
        await msg.output_channel.send_text_message(msg.sender_id, "Bonjour !")
        return "done"

    output = CollectingOutputChannel()
    assert asyncio.run(answer_failures(fine)(message(output))) == "done"
    assert [m["text"] for m in output.messages] == ["Bonjour !"]


def test_a_broken_channel_is_logged_not_raised(caplog) -> None:
    class Broken(CollectingOutputChannel):
        async def send_text_message(self, recipient_id: str, text: str, **kwargs) -> None:
            raise OSError("socket closed")

    async def down(_: UserMessage) -> None:
        raise RuntimeError("tracker store unreachable")

    with caplog.at_level(logging.ERROR, logger="channels.failsafe"):
        asyncio.run(answer_failures(down)(message(Broken())))
    assert "could not apologise" in caplog.text and "socket closed" in caplog.text


def test_a_huge_text_reaches_rasa_cut_to_the_cap() -> None:
    seen = []

    async def nlu(msg: UserMessage) -> None:
        seen.append(msg.text)

    huge = UserMessage("commande " * 20_000, CollectingOutputChannel(), "client-1", input_channel="socketio")
    asyncio.run(answer_failures(nlu)(huge))
    assert seen == [("commande " * 20_000)[:MAX_MESSAGE_LENGTH]]
