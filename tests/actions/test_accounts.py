"""Unlock and reset links, on SQLite and PostgreSQL, with a real local SMTP server."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import List

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from actions.account_models import AccountLink, LinkRequest
from actions.accounts import LinkOutcome, MailUnavailable, request_link, use_link
from actions.mailer import DEFAULT_SENDER, MailSettings
from actions.models import Base, Customer
from simulators import free_port
from simulators.mail_sink import Inbox

LUCAS = "lucas.bernard@example.fr"  # locked
CAMILLE = "camille.martin@example.fr"  # active
T0 = datetime(2030, 5, 6, 10, 0, 0)
TOKEN_RE = re.compile(r"\?token=([A-Za-z0-9_\-]+)")


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def token_in(message: EmailMessage) -> str:
    match = TOKEN_RE.search(body(message))
    assert match, body(message)
    return match.group(1)


def count(engine: Engine, column) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(column))).scalar_one()


def customer(engine: Engine, address: str):
    with engine.connect() as conn:
        return conn.execute(select(Customer).where(Customer.email == address)).one()


def all_values(engine: Engine) -> List[str]:
    """Every value of every row of every table, as text."""
    values = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                values.extend(str(value) for value in row)
    return values


def test_locked_customer_gets_an_unlock_link_that_works_once(shop_db: Engine, inbox: Inbox) -> None:
    assert customer(shop_db, LUCAS).account_status == "locked"

    assert request_link(" Lucas.Bernard@Example.fr ", "unlock", "conv-1") is LinkOutcome.SENT_OR_SILENT

    [message] = inbox.messages
    assert message["To"] == LUCAS
    assert message["From"] == DEFAULT_SENDER
    assert message["Subject"] == "Débloquez votre compte Colibri"
    assert message.get_content_charset() == "utf-8"
    text = body(message)
    assert text.startswith("Bonjour Lucas,")
    assert "https://shop.test/compte/debloquer?token=" in text
    assert "valable 1 heure" in text
    assert "si vous n'êtes pas à l'origine de cette demande, ignorez ce message" in text.lower()
    token = token_in(message)

    assert use_link(token, "unlock") is True
    lucas = customer(shop_db, LUCAS)
    assert (lucas.account_status, lucas.failed_logins) == ("active", 0)
    assert use_link(token, "unlock") is False


def test_active_customer_gets_a_reset_link(shop_db: Engine, inbox: Inbox) -> None:
    assert request_link(CAMILLE, "reset", "conv-2") is LinkOutcome.SENT_OR_SILENT

    [message] = inbox.messages
    assert message["To"] == CAMILLE
    assert "mot de passe" in message["Subject"]
    text = body(message)
    assert "https://shop.test/compte/mot-de-passe?token=" in text
    assert "valable 30 minutes" in text
    token = token_in(message)
    with shop_db.connect() as conn:
        link = conn.execute(select(AccountLink)).one()
    assert link.purpose == "reset"
    assert link.expires_at - link.created_at == timedelta(minutes=30)

    assert use_link(token, "reset") is True
    assert use_link(token, "reset") is False
    assert customer(shop_db, CAMILLE).account_status == "active"


def test_unknown_address_answers_the_same_and_sends_nothing(shop_db: Engine, inbox: Inbox) -> None:
    unknown = "Personne@Example.fr"

    assert request_link(unknown, "unlock", "conv-3") is LinkOutcome.SENT_OR_SILENT

    assert inbox.messages == []
    assert count(shop_db, AccountLink.id) == 0
    with shop_db.connect() as conn:
        [request] = conn.execute(select(LinkRequest)).all()
    assert request.email_hash == hashlib.sha256(b"personne@example.fr").hexdigest()
    assert not any("personne" in value.lower() for value in all_values(shop_db))


def test_fourth_request_for_one_address_within_the_hour_is_refused(shop_db: Engine, inbox: Inbox) -> None:
    for i in range(3):
        outcome = request_link(LUCAS, "unlock", f"conv-{i}", now=T0 + timedelta(minutes=10 * i))
        assert outcome is LinkOutcome.SENT_OR_SILENT
    # another conversation and the other purpose: the address's limit still applies
    assert request_link(LUCAS, "reset", "conv-other", now=T0 + timedelta(minutes=50)) \
        is LinkOutcome.RATE_LIMITED

    assert len(inbox.messages) == 3
    assert count(shop_db, LinkRequest.id) == 3
    assert count(shop_db, AccountLink.id) == 3


def test_fourth_address_from_one_conversation_is_refused(shop_db: Engine, inbox: Inbox) -> None:
    for i in range(3):  # unknown addresses count too
        assert request_link(f"inconnu{i}@example.fr", "unlock", "conv-x", now=T0) \
            is LinkOutcome.SENT_OR_SILENT
    assert request_link(LUCAS, "unlock", "conv-x", now=T0) is LinkOutcome.RATE_LIMITED

    assert inbox.messages == []
    assert count(shop_db, AccountLink.id) == 0
    assert count(shop_db, LinkRequest.id) == 3


def test_requests_older_than_an_hour_do_not_count(shop_db: Engine, inbox: Inbox) -> None:
    for i in range(3):
        request_link(CAMILLE, "reset", "conv-y", now=T0 + timedelta(minutes=i))
    assert request_link(CAMILLE, "reset", "conv-z", now=T0 + timedelta(minutes=59)) \
        is LinkOutcome.RATE_LIMITED
    assert request_link(CAMILLE, "reset", "conv-y", now=T0 + timedelta(minutes=61)) \
        is LinkOutcome.SENT_OR_SILENT
    assert len(inbox.messages) == 4


def test_expired_token_is_refused(shop_db: Engine, inbox: Inbox) -> None:
    request_link(LUCAS, "unlock", "conv-e", now=T0)
    request_link(CAMILLE, "reset", "conv-f", now=T0)
    unlock_token, reset_token = (token_in(message) for message in inbox.messages)

    assert use_link(unlock_token, "unlock", now=T0 + timedelta(hours=1, seconds=1)) is False
    assert use_link(reset_token, "reset", now=T0 + timedelta(minutes=31)) is False
    assert customer(shop_db, LUCAS).account_status == "locked"
    # refusing an expired use spent nothing: within the lifetime the links still work
    assert use_link(unlock_token, "unlock", now=T0 + timedelta(minutes=59)) is True
    assert use_link(reset_token, "reset", now=T0 + timedelta(minutes=29)) is True


def test_token_of_another_purpose_or_unknown_token_is_refused(shop_db: Engine, inbox: Inbox) -> None:
    request_link(LUCAS, "reset", "conv-p")
    token = token_in(inbox.messages[0])

    assert use_link(token, "unlock") is False
    assert customer(shop_db, LUCAS).account_status == "locked"
    assert use_link(token + "x", "reset") is False
    assert use_link("", "reset") is False
    assert use_link(token, "delete") is False
    assert use_link(token, "reset") is True


def test_database_never_holds_the_token_or_a_known_address_in_clear(shop_db: Engine, inbox: Inbox) -> None:
    request_link(LUCAS, "unlock", "conv-s")
    token = token_in(inbox.messages[0])

    with shop_db.connect() as conn:
        link = conn.execute(select(AccountLink)).one()
        request = conn.execute(select(LinkRequest)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert len(link.token_hash) == 64
    assert request.email_hash == hashlib.sha256(LUCAS.encode()).hexdigest()
    values = all_values(shop_db)
    assert not any(token in value for value in values)
    assert sum(LUCAS in value for value in values) == 1  # the customers table only


def test_nothing_about_the_address_or_token_is_logged(shop_db: Engine, inbox: Inbox,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request_link(LUCAS, "unlock", "conv-l")
    token = token_in(inbox.messages[0])
    use_link(token, "unlock")
    request_link("personne@example.fr", "unlock", "conv-l")

    ours = [record for record in caplog.records if record.name.startswith("actions")]
    assert ours
    for record in ours:
        text = record.getMessage()
        assert "@" not in text and token not in text and "lucas" not in text.lower()


def test_smtp_down_raises_and_leaves_no_usable_link(shop_db: Engine, inbox: Inbox,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nobody listens there

    with pytest.raises(MailUnavailable) as raised:
        request_link(LUCAS, "unlock", "conv-d")

    assert LUCAS not in str(raised.value)
    assert count(shop_db, AccountLink.id) == 0
    assert customer(shop_db, LUCAS).account_status == "locked"


def test_recipient_refused_raises_without_quoting_the_address(shop_db: Engine, inbox: Inbox) -> None:
    inbox.refuse_recipients = True

    with pytest.raises(MailUnavailable) as raised:
        request_link(CAMILLE, "reset", "conv-r")

    assert "@" not in str(raised.value) and "550" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert count(shop_db, AccountLink.id) == 0


def test_two_simultaneous_uses_of_one_token_succeed_once(shop_db: Engine, inbox: Inbox) -> None:
    for round_ in range(5):
        inbox.messages.clear()
        at = T0 + timedelta(hours=2 * round_)  # a fresh rate window for each round
        request_link(LUCAS, "unlock", f"conv-race-{round_}", now=at)
        token = token_in(inbox.messages[0])
        with shop_db.begin() as conn:  # lock the account again
            conn.execute(update(Customer).where(Customer.email == LUCAS)
                         .values(account_status="locked", failed_logins=5))
        barrier = threading.Barrier(2)
        results: List[object] = []

        def spend(token: str = token, at: datetime = at, barrier: threading.Barrier = barrier,
                  results: List[object] = results) -> None:
            barrier.wait(timeout=10)
            try:
                results.append(use_link(token, "unlock", now=at + timedelta(minutes=1)))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                results.append(error)

        threads = [threading.Thread(target=spend) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(results, key=repr) == [False, True], results
        assert customer(shop_db, LUCAS).account_status == "active"
    with shop_db.connect() as conn:
        used = conn.execute(select(func.count(AccountLink.id)).where(AccountLink.used_at.is_not(None)))
        assert used.scalar_one() == 5


def test_unknown_purpose_or_empty_address_is_a_programming_error(shop_db: Engine, inbox: Inbox) -> None:
    with pytest.raises(ValueError):
        request_link(LUCAS, "delete", "conv-v")
    with pytest.raises(ValueError):
        request_link("  ", "unlock", "conv-v")
    assert count(shop_db, LinkRequest.id) == 0


def test_mail_settings_fall_back_to_defaults_on_bad_values() -> None:
    assert MailSettings.from_env({}) == MailSettings(
        host="127.0.0.1", port=1025, sender="Colibri <service-client@colibri.example>",
        timeout=5.0, starttls=False, user=None, password=None)
    bad = MailSettings.from_env({"SMTP_HOST": " ", "SMTP_PORT": "smtp", "SMTP_TIMEOUT": "-1",
                                 "SMTP_STARTTLS": "yes", "SMTP_SENDER": "nobody"})
    assert bad == MailSettings()
    assert MailSettings.from_env({"SMTP_PORT": "70000", "SMTP_TIMEOUT": "nan"}) == MailSettings()
    good = MailSettings.from_env({"SMTP_HOST": "mail.local", "SMTP_PORT": "587", "SMTP_TIMEOUT": "2.5",
                                  "SMTP_STARTTLS": "1", "SMTP_SENDER": "Shop <a@b.example>",
                                  "SMTP_USER": "u", "SMTP_PASSWORD": "secret"})
    assert (good.host, good.port, good.timeout, good.starttls, good.sender, good.user, good.password) == (
        "mail.local", 587, 2.5, True, "Shop <a@b.example>", "u", "secret")
    assert "secret" not in repr(good)
