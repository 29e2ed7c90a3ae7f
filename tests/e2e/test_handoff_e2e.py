"""Live handoff end to end: a customer, Colibri, the desk and an advisor, all real processes.

The customer talks over REST (advisor messages picked up at /webhooks/rest/messages) or
socket.io (pushed); the advisor signs in to the desk's API over HTTP.
"""

from __future__ import annotations

import queue
import re
import time
import uuid
from typing import List

import pytest
import requests
import socketio
from chat_helpers import said
from sqlalchemy import select

from actions.models import Ticket
from actions.survey_models import SatisfactionRating

pytestmark = pytest.mark.e2e


def picked_up(assistant, sender: str, since: float) -> List[dict]:
    """What the REST customer's app fetches: the messages recorded after ``since``."""
    reply = requests.get(f"{assistant.rasa_url}/webhooks/rest/messages",
                         params={"sender": sender, "since": since}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def queued(desk: requests.Session, assistant, sender: str) -> dict:
    queue = desk.get(f"{assistant.desk_url}/desk/api/queue", timeout=10).json()
    return next((h for h in queue["waiting"] if h["conversation_id"] == sender), None)


def test_rest_customer_handed_to_an_advisor_and_back(assistant):
    assistant.advisors_hours(open=True)
    say = assistant.conversation()
    say("bonjour")
    say("ou est ma commande CO100001 camille.martin@example.fr")
    answer = said(say("je veux parler à un conseiller"))
    assert re.search(r"n°\d+", answer) and re.search(r"TKT-\d{6}", answer)

    julie, karim = assistant.desk("julie"), assistant.desk("karim")
    item = queued(julie, assistant, say.sender)
    assert item["channel"] == "rest" and item["reason_label"] == "Demande du client"
    assert item["summary"]["order"] == "CO100001" and item["summary"]["email"] == "camille.martin@example.fr"
    assert "CO100001" in item["summary"]["request"]

    take = julie.post(f"{assistant.desk_url}/desk/api/handoffs/{item['id']}/take", json={}, timeout=10)
    assert take.status_code == 200
    late = karim.post(f"{assistant.desk_url}/desk/api/handoffs/{item['id']}/take", json={}, timeout=10)
    assert late.status_code == 409 and late.json()["advisor"] == "Julie"

    # While the advisor has it, Colibri is silent but the message is recorded for the desk.
    assert say("vous êtes là ?") == []
    messages_url = f"{assistant.desk_url}/desk/api/handoffs/{item['id']}/messages"
    transcript = julie.get(messages_url, timeout=10).json()["messages"]
    assert transcript[0]["text"] == "bonjour"
    assert (transcript[-1]["role"], transcript[-1]["text"]) == ("customer", "vous êtes là ?")
    start = len(transcript)

    before = time.time()
    sent = julie.post(messages_url, json={"text": "Bonjour, c'est Julie. Je regarde votre commande."},
                      timeout=10)
    assert sent.status_code == 201
    pushed = [(m["text"], m.get("advisor")) for m in picked_up(assistant, say.sender, before)]
    assert pushed == [("Bonjour, c'est Julie. Je regarde votre commande.", "Julie")]
    new = julie.get(messages_url, params={"after": start}, timeout=10).json()["messages"]
    assert [(m["role"], m["advisor"]) for m in new] == [("advisor", "Julie")]

    # The customer answers; the advisor sees it at the next poll.
    assert say("merci, je l'attends pour jeudi") == []
    later = julie.get(messages_url, params={"after": start + 1}, timeout=10).json()["messages"]
    assert [m["text"] for m in later] == ["merci, je l'attends pour jeudi"]

    # Closing hands back: Colibri speaks again. The satisfaction survey was already asked in this
    # conversation (after the order was tracked), so not again: at most once per conversation.
    before = time.time()
    closed = julie.post(f"{assistant.desk_url}/desk/api/handoffs/{item['id']}/close", json={}, timeout=10)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    back = picked_up(assistant, say.sender, before)
    assert "Julie" in said(back) and not any(m.get("buttons") for m in back)
    assert not assistant.tracker(say.sender)["paused"]
    # Colibri answers normally again.
    assert "CO" in said(say("ou est mon colis"))


def bot_messages(received: queue.Queue, until: str, seconds: float = 30) -> List[dict]:
    """The socket's ``bot_uttered`` messages until one's text contains ``until``."""
    messages: List[dict] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            messages.append(received.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            break
        if until in messages[-1].get("text", ""):
            return messages
    raise AssertionError(f"{until!r} not received; got {[m.get('text') for m in messages]}")


def bot_texts(received: queue.Queue, until: str, seconds: float = 30) -> List[str]:
    """The socket's ``bot_uttered`` texts until one contains ``until``."""
    return [m.get("text", "") for m in bot_messages(received, until, seconds)]


def test_socketio_customer_gets_the_advisor_and_colibri_back(assistant):
    assistant.advisors_hours(open=True)
    session = f"e2e-sio-{uuid.uuid4().hex[:10]}"
    received: queue.Queue = queue.Queue()
    client = socketio.Client()
    client.on("bot_uttered", received.put)
    client.connect(assistant.rasa_url, transports=["polling"], wait_timeout=10)
    try:
        client.emit("session_request", {"session_id": session})
        client.emit("user_uttered", {"message": "je veux parler à un humain", "session_id": session})
        assert re.search(r"n°\d+", " ".join(bot_texts(received, "TKT-")))

        karim = assistant.desk("karim")
        item = wait_for(lambda: queued(karim, assistant, session), "the conversation in the queue")
        assert item["channel"] == "socketio"
        base = f"{assistant.desk_url}/desk/api/handoffs/{item['id']}"
        assert karim.post(f"{base}/take", json={}, timeout=10).status_code == 200

        client.emit("user_uttered", {"message": "allo ?", "session_id": session})
        wait_for(lambda: any(m["text"] == "allo ?" for m in karim.get(f"{base}/messages", timeout=10)
                             .json()["messages"]), "the customer's message on the desk")
        karim.post(f"{base}/messages", json={"text": "Bonjour, Karim à votre écoute."}, timeout=10)
        pushed = bot_messages(received, "Karim à votre écoute")[-1]
        assert pushed == {"text": "Bonjour, Karim à votre écoute.", "metadata": {"advisor": "Karim"}}

        assert karim.post(f"{base}/close", json={}, timeout=10).status_code == 200
        back = bot_messages(received, "Karim")[-1]  # no survey yet here: the rating is asked
        assert [b["title"] for b in back["quick_replies"]][0].startswith("1")
        client.emit("user_uttered", {"message": '/give_rating{"rating": "5"}', "session_id": session})
        assert "Merci" in bot_texts(received, "Merci")[-1]
        rating = select(SatisfactionRating).where(SatisfactionRating.handoff_id == item["id"])
        assert (assistant.shop(rating).rating, assistant.shop(rating).channel) == (5, "socketio")
    finally:
        client.disconnect()


def wait_for(predicate, what: str, seconds: float = 15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_desk_refuses_what_is_not_an_advisor(assistant):
    anonymous = requests.get(f"{assistant.desk_url}/desk/api/queue", timeout=10)
    assert anonymous.status_code == 401
    wrong = requests.post(f"{assistant.desk_url}/desk/api/login", timeout=10,
                          json={"username": "julie", "password": "devine"})
    assert wrong.status_code == 401 and "Traceback" not in wrong.text
    page = requests.get(f"{assistant.desk_url}/desk/", timeout=10)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers


def test_outside_opening_hours_a_callback_is_booked(assistant):
    assistant.advisors_hours(open=False)
    try:
        say = assistant.conversation()
        offer = say("je veux parler à un conseiller")
        assert "pas disponibles" in said(offer) or "disponible" in said(offer)
        assert any(b["payload"] == "/request_callback" for b in offer[0]["buttons"])
        assert "numéro" in said(say("/request_callback"))
        assert "06 12 34 56 78" in said(say("abc"))  # refused, with an example
        slot_question = say("mon numero c'est le 06 12 34 56 78")
        assert any("matin" in b["title"].lower() for b in slot_question[0]["buttons"])
        confirm = said(say("plutôt l'aprem"))
        assert "06 12 34 56 78" in confirm and "après-midi" in confirm
        done = said(say("oui"))
        number = re.search(r"TKT-\d{6}", done).group(0)
        saved = assistant.shop(select(Ticket).where(Ticket.number == number))
        assert (saved.kind, saved.phone, saved.slot) == ("callback", "+33612345678", "apres-midi")
        desk = assistant.desk("karim")
        tickets = desk.get(f"{assistant.desk_url}/desk/api/tickets", timeout=10).json()["tickets"]
        assert any(t["number"] == number and t["status"] == "open" for t in tickets)
    finally:
        assistant.advisors_hours(open=True)


def test_no_advisor_free_a_written_answer_is_recorded(assistant):
    assistant.advisors_hours(open=False)
    try:
        say = assistant.conversation()
        say("un conseiller svp")
        assert "e-mail" in said(say("/request_email_answer"))
        assert re.search(r"question|demande", said(say("lea.morel@example.fr")))
        done = said(say("Livrez-vous en Corse, et en combien de temps ?"))
        number = re.search(r"TKT-\d{6}", done).group(0)
        assert "lea.morel@example.fr" in done
        saved = assistant.shop(select(Ticket).where(Ticket.number == number))
        assert saved.kind == "email" and saved.question == "Livrez-vous en Corse, et en combien de temps ?"
    finally:
        assistant.advisors_hours(open=True)


def test_when_every_advisor_leaves_the_waiting_customer_gets_colibri_back(assistant):
    assistant.advisors_hours(open=True)
    assistant.desk_keeper.stop()  # Léa signs out
    try:
        julie = assistant.desk("julie")
        julie.get(f"{assistant.desk_url}/desk/api/queue", timeout=10)  # Julie is online
        say = assistant.conversation()
        before = time.time()
        assert re.search(r"TKT-\d{6}", said(say("je veux un conseiller")))
        julie.post(f"{assistant.desk_url}/desk/api/logout", json={}, timeout=10)  # and leaves

        def apology() -> str:
            text = said(picked_up(assistant, say.sender, before))
            return text if "rappel" in text else ""

        offer = wait_for(apology, "Colibri taking the conversation back", seconds=60)
        assert re.search(r"désolé|excuses", offer, re.IGNORECASE)
        assert not assistant.tracker(say.sender)["paused"]
        assert "numéro" in said(say("/request_callback"))  # the way out works
    finally:
        assistant.desk_keeper.start()
