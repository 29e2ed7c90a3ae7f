"""A local SMTP server that keeps every e-mail instead of delivering it (aiosmtpd).

``make run`` starts it on 127.0.0.1:1025 so that unlock and reset links can be
seen: each message is printed and saved as ``var/mail/<time>-<n>.eml``::

    python -m simulators.mail_sink --port 1025 --spool var/mail

Tests use ``start(port)``: ``controller.handler.messages`` holds what arrived,
and ``refuse_recipients = True`` makes the server refuse every recipient.
"""

from __future__ import annotations

import argparse
import email
import re
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import List, Optional

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


class Inbox:
    """An aiosmtpd handler keeping every message it accepts (and spooling it, if asked)."""

    def __init__(self, spool: Optional[Path] = None) -> None:
        self.messages: List[EmailMessage] = []
        self.refuse_recipients = False
        self.spool = spool

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse_recipients:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=default_policy)
        self.messages.append(message)
        if self.spool is not None:
            self._keep(raw, message)
        return "250 Message accepted for delivery"

    def _keep(self, raw: bytes, message: EmailMessage) -> None:
        self.spool.mkdir(parents=True, exist_ok=True)
        path = self.spool / f"{time.strftime('%Y%m%d-%H%M%S')}-{len(self.messages)}.eml"
        path.write_bytes(raw)
        body = message.get_body(("plain",))
        links = LINK.findall(body.get_content() if body else "")
        print(f"[mail] to {message['To']}: {message['Subject']} -> {path}", flush=True)
        for link in links:
            print(f"[mail]   {link}", flush=True)


def start(port: int, host: str = "127.0.0.1", spool: Optional[Path] = None) -> Controller:
    """Starts the sink in a thread; ``controller.stop()`` ends it."""
    controller = Controller(Inbox(spool), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--spool", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    controller = start(args.port, args.host, args.spool)
    print(f"Mail sink on {args.host}:{args.port}, messages kept in {args.spool}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
