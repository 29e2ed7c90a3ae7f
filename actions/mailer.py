"""Sends the shop's e-mails through an SMTP server (stdlib ``smtplib``).

Settings come from the environment (``MailSettings.from_env``): ``SMTP_HOST``,
``SMTP_PORT``, ``SMTP_SENDER``, ``SMTP_TIMEOUT`` (seconds), ``SMTP_STARTTLS`` ("0" or
"1"), and optionally ``SMTP_USER`` / ``SMTP_PASSWORD``. A value that cannot be used
falls back to its default, with a warning.

Any SMTP or network failure raises ``MailUnavailable``, whose message names neither
the recipient nor the content: callers may log it as it is.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Mapping, Optional

from actions.settings import number_from_env

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1025
DEFAULT_SENDER = "Colibri <service-client@colibri.example>"
DEFAULT_TIMEOUT = 5.0


class MailUnavailable(Exception):
    """The e-mail could not be handed to the SMTP server."""


def _flag(value: Optional[str]) -> bool:
    if value is None or not value.strip():
        return False
    if value.strip() not in ("0", "1"):
        logger.warning('SMTP_STARTTLS must be "0" or "1"; using "0"')
        return False
    return value.strip() == "1"


def _sender(value: Optional[str]) -> str:
    if value is None or not value.strip():
        return DEFAULT_SENDER
    value = value.strip()
    _, address = parseaddr(value)
    if "@" not in address or any(c in value for c in "\r\n"):
        logger.warning("SMTP_SENDER is not an e-mail address; using the default")
        return DEFAULT_SENDER
    return value


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server, and who the mail comes from."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    sender: str = DEFAULT_SENDER
    timeout: float = DEFAULT_TIMEOUT
    starttls: bool = False
    user: Optional[str] = None
    password: Optional[str] = None

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> MailSettings:
        """Reads the ``SMTP_*`` variables; unusable values fall back to the defaults."""
        env = os.environ if environ is None else environ
        host = (env.get("SMTP_HOST") or "").strip() or DEFAULT_HOST
        return cls(
            host=host,
            port=number_from_env("SMTP_PORT", env.get("SMTP_PORT"), DEFAULT_PORT, 1, 65535),
            sender=_sender(env.get("SMTP_SENDER")),
            timeout=number_from_env("SMTP_TIMEOUT", env.get("SMTP_TIMEOUT"), DEFAULT_TIMEOUT, 0.0, 300.0,
                                    low_exclusive=True),
            starttls=_flag(env.get("SMTP_STARTTLS")),
            user=env.get("SMTP_USER") or None,
            password=env.get("SMTP_PASSWORD") or None,
        )

    def __repr__(self) -> str:  # never show the password
        return (f"MailSettings(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
                f"timeout={self.timeout}, starttls={self.starttls}, user={self.user!r})")


def build_message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    """A plain-text UTF-8 message (raises ValueError on a header with a line break)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Content-Language"] = "fr"
    message.set_content(body, charset="utf-8")
    return message


def _describe(error: BaseException) -> str:
    """The error without what it may quote (SMTPRecipientsRefused carries the address)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in error.recipients.values()})
        return f"{type(error).__name__}, code {'/'.join(codes)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}, code {error.smtp_code}"
    if isinstance(error, OSError) and error.strerror:
        return f"{type(error).__name__}: {error.strerror}"
    return type(error).__name__


def _hang_up(smtp: smtplib.SMTP) -> None:
    """QUIT, ignoring its failure: once the server took the message, it is sent."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def send_mail(to: str, subject: str, body: str, settings: Optional[MailSettings] = None) -> None:
    """Hands one e-mail to the SMTP server; raises ``MailUnavailable`` if it cannot."""
    settings = settings or MailSettings.from_env()
    message = build_message(to, subject, body, settings.sender)
    try:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(message)
        finally:
            _hang_up(smtp)
    except (smtplib.SMTPException, OSError) as error:
        reason = _describe(error)
        logger.warning("mail not sent: SMTP server %s:%d: %s", settings.host, settings.port, reason)
        # "from None": the chained error could quote the recipient in a logged traceback
        raise MailUnavailable(f"SMTP server {settings.host}:{settings.port} unavailable ({reason})") from None
    logger.info("mail sent through %s:%d", settings.host, settings.port)
