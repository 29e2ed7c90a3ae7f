"""Faults survived by the production configuration, each reproduced on the real process.

The deployment (tests/production/conftest.py) runs two Rasa servers and two action servers
behind nginx on PostgreSQL, Redis and RabbitMQ, for the whole test session. Tests run in this
file's order, after test_chat_across_servers.py: the last one kills a Rasa server for good.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from typing import Iterator

import pytest
from chat_helpers import said
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from actions.models import Return, Ticket
from channels.failsafe import APOLOGIES

pytestmark = pytest.mark.e2e



def is_apology(messages: list) -> bool:
    """Colibri's answer when no action server answers: the apology and its way out."""
    text = said(messages)
    buttons = [button["payload"] for message in messages for button in message.get("buttons") or []]
    return "nos systèmes" in text and "/human_handoff" in buttons


def test_a_whole_conversation_is_kept_in_postgresql_and_published_to_rabbitmq(production) -> None:
    customer = production.conversation()
    assert "CO" in said(customer.say("ou est mon colis ?"))
    assert "e-mail" in said(customer.say("c'est la co-100001"))
    answer = said(customer.say("camille.martin@example.fr"))
    assert "CO100001" in answer and "6A10000000001" in answer
    assert production.user_texts(customer.sender) == [
        "ou est mon colis ?", "c'est la co-100001", "camille.martin@example.fr"]
    deadline = time.monotonic() + 10
    published: list = []
    while customer.sender not in published and time.monotonic() < deadline:
        published += production.published_senders()
        time.sleep(0.5)
    assert customer.sender in published, "RabbitMQ received the conversation's events"


def test_with_one_action_server_down_the_other_one_answers_every_call(production) -> None:
    stopped = production.deployment.processes["actions-1"]
    stopped.stop()
    try:
        for _ in range(3):  # least_conn would send some of them to the stopped one
            reply = production.conversation().say("ou est ma commande CO100003 ? camille.martin@example.fr")
            assert not is_apology(reply)
            assert "sac à dos" in said(reply)
    finally:
        stopped.start()
        stopped.wait_healthy(90)


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_without_action_servers_the_customer_gets_an_apology_within_5_s_then_service_resumes(
        production, fault: str) -> None:
    servers = [production.deployment.processes[name] for name in ("actions-1", "actions-2")]
    customer = production.conversation()
    for server in servers:
        if fault == "stopped":
            server.stop()
        else:
            server.freeze()
    try:
        started = time.monotonic()
        reply = customer.say("merci beaucoup !")
        elapsed = time.monotonic() - started
        assert is_apology(reply), reply
        assert elapsed < 5, f"the apology took {elapsed:.1f} s"
    finally:
        for server in servers:
            if fault == "stopped":
                server.start()
            else:
                server.thaw()
        for server in servers:
            server.wait_healthy(90)
        production.deployment.processes["nginx"].wait_healthy(10)  # nginx tries them again
    reply = customer.say("ou est ma commande CO100003 ? camille.martin@example.fr")
    assert not is_apology(reply)
    assert "sac à dos" in said(reply)


NOT_RECEIVED = "le colis CO100006 est marqué livré mais je l'ai pas, emma.petit@example.fr"


def shop_counts(production) -> tuple:
    engine = create_engine(production.deployment.env["DATABASE_URL"], future=True)
    try:
        with Session(engine) as session:
            return (session.execute(select(func.count(Ticket.id))).scalar_one(),
                    session.execute(select(func.count(Return.id))).scalar_one())
    finally:
        engine.dispose()


def test_with_the_shop_database_down_the_actions_apologise_and_write_nothing(production) -> None:
    before = shop_counts(production)
    customer = production.conversation()
    production.shop_database.stop()
    try:
        reply = said(customer.say(NOT_RECEIVED))
        assert "technique" in reply
        assert "casque audio" not in reply
    finally:
        production.shop_database.start()
    assert shop_counts(production) == before
    answer = said(customer.say(NOT_RECEIVED))
    assert "casque audio" in answer


def test_with_redis_down_the_customer_is_told_and_the_log_says_why_then_it_works_again(production) -> None:
    customer = production.conversation()
    production.redis.stop()
    try:
        reply = customer.say("bonjour")
        assert [message["text"] for message in reply] in ([text] for text in APOLOGIES)
        refused = (f"could not handle a message on rest: LockError: Error while acquiring lock. Error: "
                   f"Error 111 connecting to 127.0.0.1:{production.redis.port}. Connection refused.")
        assert any(line.endswith(refused) for line in production.rasa_logs().splitlines())  # one line
    finally:
        production.redis.start()
    assert "Colibri" in said(customer.say("bonjour"))


@contextlib.contextmanager
def tracker_database_closed(production) -> Iterator[None]:
    """The tracker store's database refuses every connection, its open ones cut, until the end.

    The machine's PostgreSQL serves other databases: this closes only the deployment's own.
    """
    database = make_url(production.tracker_url).database
    admin = create_engine(make_url(production.tracker_url).set(database="postgres"), future=True,
                          isolation_level="AUTOCOMMIT")

    def allow(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database})

    allow(False)
    try:
        yield
    finally:
        allow(True)
        admin.dispose()


def test_with_the_tracker_store_down_the_customer_is_told_then_the_conversation_goes_on(production) -> None:
    customer = production.conversation()
    assert "CO" in said(customer.say("ou est mon colis ?"))
    with tracker_database_closed(production):
        reply = customer.say("c'est la co-100001")
        assert [message["text"] for message in reply] in ([text] for text in APOLOGIES)
        assert any("could not handle a message on rest: OperationalError" in line  # one line
                   for line in production.rasa_logs().splitlines())
    # Back: the conversation goes on where it was; the message that failed was not recorded.
    assert "e-mail" in said(customer.say("c'est la co-100001"))
    answer = said(customer.say("camille.martin@example.fr"))
    assert "CO100001" in answer and "6A10000000001" in answer
    assert production.user_texts(customer.sender) == [
        "ou est mon colis ?", "c'est la co-100001", "camille.martin@example.fr"]


def test_with_rabbitmq_down_conversations_go_on_and_their_events_arrive_later(production) -> None:
    customer = production.conversation()
    production.published_senders()  # empties the queue
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=60)
    try:
        assert "Colibri" in said(customer.say("bonjour"))
        assert "CO" in said(customer.say("ou est mon colis ?"))
    finally:
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
    deadline, published = time.monotonic() + 60, []
    while customer.sender not in published and time.monotonic() < deadline:
        time.sleep(1)
        try:
            published += production.published_senders()
        except Exception:  # noqa: BLE001 - the broker is still starting
            continue
    assert customer.sender in published, "the events held while RabbitMQ was down are published"


def test_a_rasa_server_killed_mid_conversation_the_other_one_goes_on_with_its_history(production) -> None:
    """The history is in PostgreSQL; the return reminder the killed server held in memory is
    sent all the same, once (the web server's sweep, proactive/reminders.py, through rasa-2)."""
    customer, returner = production.conversation(), production.conversation()
    first = production.server_url("rasa-1")
    assert "CO" in said(customer.say("ou est mon colis ?", url=first))
    assert "e-mail" in said(customer.say("c'est la co-100001", url=first))
    said(returner.say("je voudrais retourner un article", url=first))
    assert "e-mail" in said(returner.say("c'est la commande CO100002", url=first))  # reminder in 5 s
    production.deployment.processes["rasa-1"].kill()
    answer = said(customer.say("camille.martin@example.fr"))  # through nginx: rasa-2 only
    assert "CO100001" in answer and "6A10000000001" in answer
    assert production.user_texts(customer.sender) == [
        "ou est mon colis ?", "c'est la co-100001", "camille.martin@example.fr"]

    def reminders() -> list:  # « Votre retour n'est pas terminé… », « … on le termine ? »
        said_to_returner = production.bot_texts(returner.sender)
        return [text for text in said_to_returner if "retour" in text and "termin" in text]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not reminders():
        time.sleep(0.5)
    time.sleep(3)  # time enough for more sweeps, which must not speak again
    assert len(reminders()) == 1, " | ".join(production.bot_texts(returner.sender))
