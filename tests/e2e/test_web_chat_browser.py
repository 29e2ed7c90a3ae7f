"""The customer chat widget (web/colibri-chat.js) in a real browser, on Rasa's socket.io channel.

The demo page is opened with ``?rasa-url=`` (Rasa listens on a random port here); the web
server's CSP allows that origin because the fixture gives it ``RASA_URL``. The socket.io
client is web/vendor/socket.io.min.js, built by ``make web-assets``.
Screenshots: results/browser/.
"""

from __future__ import annotations

import time
import urllib.parse

import pytest
from browser_helpers import ROOT, browser_fixture, page_fixture, screenshot  # noqa: F401 - fixtures
from playwright.sync_api import expect

from desk.rasa_api import RasaApi

pytestmark = pytest.mark.e2e

VENDOR = ROOT / "web" / "vendor" / "socket.io.min.js"
ANSWER_TIMEOUT = 60_000  # the first answers of a fresh Rasa server can be slow


@pytest.fixture(autouse=True)
def _vendor_built():
    if not VENDOR.exists():
        pytest.fail("web/vendor/socket.io.min.js is missing: run `make web-assets`", pytrace=False)


def open_chat(page, assistant):
    url = f"{assistant.desk_url}/?rasa-url={urllib.parse.quote(assistant.rasa_url, safe='')}"
    page.goto(url)
    expect(page.locator("#colibri-panel")).to_be_visible()
    page.wait_for_function("window.io !== undefined", timeout=10_000)


def type_message(page, text: str) -> None:
    field = page.get_by_label("Votre message")
    field.fill(text)
    field.press("Enter")
    expect(page.locator(".colibri-user .colibri-bubble").last).to_contain_text(text)


def bot_bubbles(page):
    return page.locator(".colibri-bot .colibri-bubble")


def wait_for_bot(page, count_before: int, text: str | None = None) -> str:
    """Waits for a new bot message (containing ``text`` if given); all the new text."""
    bubbles = bot_bubbles(page)
    if text is None:
        expect(bubbles).not_to_have_count(count_before, timeout=ANSWER_TIMEOUT)
    else:
        expect(page.locator(".colibri-log")).to_contain_text(text, timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(500)  # the parts of a split answer arrive as separate events
    return "\n".join(bubbles.all_inner_texts()[count_before:])


def watch_typing_indicator(page) -> None:
    """Records in ``window.typingShown`` every text the typing indicator shows from now on."""
    page.evaluate(
        """() => {
            const typing = document.querySelector('.colibri-typing');
            window.typingShown = [];
            new MutationObserver(() => window.typingShown.push(typing.textContent))
                .observe(typing, { childList: true, characterData: true, subtree: true });
        }"""
    )


def session_id(page) -> str:
    return page.evaluate("localStorage.getItem('colibri.session')")


def test_order_tracking_typed_then_reload_keeps_the_conversation(assistant, page):
    open_chat(page, assistant)
    expect(page.locator("#colibri-counter")).to_have_text("0 caractères sur 2 000")
    # Empty messages are not sent.
    page.get_by_label("Votre message").press("Enter")
    assert page.locator(".colibri-user").count() == 0

    n = bot_bubbles(page).count()
    watch_typing_indicator(page)
    type_message(page, "où est mon colis")
    assert "CO" in wait_for_bot(page, n)
    # The indicator was shown while the answer was awaited (it may last only a few milliseconds).
    assert "Colibri écrit…" in page.evaluate("window.typingShown")
    n = bot_bubbles(page).count()
    type_message(page, "CO100001")
    assert "e-mail" in wait_for_bot(page, n)
    n = bot_bubbles(page).count()
    type_message(page, "camille.martin@example.fr")
    answer = wait_for_bot(page, n, "chaussures")
    assert "CO100001" in answer and "chaussures" in answer
    expect(page.locator(".colibri-typing")).to_have_text("")
    first_session = session_id(page)
    assert first_session and first_session.startswith("web-")
    screenshot(page, "web-chat-order-tracking")

    # A reload shows the same conversation, and it goes on in the same Rasa session.
    page.reload()
    expect(page.locator(".colibri-log")).to_contain_text("chaussures")
    expect(page.locator(".colibri-user .colibri-bubble")).to_have_count(3)
    page.wait_for_function("window.io !== undefined", timeout=10_000)
    assert session_id(page) == first_session
    n = bot_bubbles(page).count()
    type_message(page, "merci")
    wait_for_bot(page, n)
    screenshot(page, "web-chat-after-reload")
    tracker = assistant.tracker(first_session)
    said = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert said[:3] == ["où est mon colis", "CO100001", "camille.martin@example.fr"]
    assert said[-1] == "merci"
    assert tracker["latest_input_channel"] == "socketio"


def test_button_reply_sends_the_payload_and_shows_the_title(assistant, page):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    open_chat(page, assistant)
    n = bot_bubbles(page).count()
    type_message(page, "bonjour")
    wait_for_bot(page, n)
    choices = page.locator(".colibri-buttons").last.get_by_role("button")
    expect(choices.first).to_be_visible()
    title = choices.first.inner_text()
    n = bot_bubbles(page).count()
    choices.first.click()
    expect(page.locator(".colibri-user .colibri-bubble").last).to_contain_text(title)
    assert "CO" in wait_for_bot(page, n)  # /track_order: Colibri asks for the order number
    expect(choices.first).to_be_disabled()
    screenshot(page, "web-chat-buttons-phone")
    events = assistant.tracker(session_id(page))["events"]
    intents = [e["parse_data"]["intent"]["name"] for e in events if e.get("event") == "user"]
    assert intents[-1] == "track_order"


def test_too_long_message_is_refused_with_the_counter(assistant, page):
    open_chat(page, assistant)
    page.get_by_label("Votre message").fill("a" * 2001)
    expect(page.locator("#colibri-counter")).to_have_text("2001 caractères sur 2 000")
    page.get_by_label("Votre message").press("Enter")
    expect(page.locator(".colibri-log")).to_contain_text("trop long")
    assert page.locator(".colibri-user").count() == 0


def test_message_pushed_by_the_desk_appears_without_reload(assistant, page):
    """The desk pushes an advisor's message through Rasa's HTTP API (desk/rasa_api.py ``say``).

    channels/web_chat.py forwards the event's ``metadata.advisor``: the widget shows the advisor's
    name above the message, in the saved transcript too (a reload shows it again)."""
    open_chat(page, assistant)
    n = bot_bubbles(page).count()
    type_message(page, "bonjour")
    wait_for_bot(page, n)
    text = "Je reprends votre demande : voici le lien https://shop.test/suivi."
    RasaApi(assistant.rasa_url, assistant.token, 30).say(session_id(page), text, "Julie", "julie")
    expect(page.locator(".colibri-advisor")).to_have_count(1, timeout=15_000)
    shows_the_advisor_message(page, text)
    screenshot(page, "web-chat-advisor-push")
    page.reload()
    shows_the_advisor_message(page, text)


def shows_the_advisor_message(page, text: str) -> None:
    advisor = page.locator(".colibri-advisor")
    expect(advisor).to_have_count(1)
    author = advisor.locator(".colibri-author")
    expect(author).to_be_visible()
    expect(author).to_contain_text("Julie (service client)")
    expect(advisor.locator(".colibri-bubble")).to_have_text(text)
    # What a screen reader reads out of the log: the name, then the message.
    expect(page.get_by_role("log")).to_contain_text(f"Julie (service client) : {text}")
    link = advisor.locator("a")
    expect(link).to_have_attribute("href", "https://shop.test/suivi")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    # Colibri's own messages carry no name, and look different.
    expect(page.locator(".colibri-author")).to_have_count(1)
    bubbles = (".colibri-advisor .colibri-bubble", ".colibri-bot:not(.colibri-advisor) .colibri-bubble")
    backgrounds = [page.locator(bubble).first.evaluate("(node) => getComputedStyle(node).backgroundColor")
                   for bubble in bubbles]
    assert backgrounds[0] != backgrounds[1], backgrounds


def saved_transcript(page) -> list:
    return page.evaluate("JSON.parse(localStorage.getItem('colibri.transcript.' + "
                         "localStorage.getItem('colibri.session')))")


def test_every_tab_shows_the_same_conversation(assistant, page):
    """Two tabs of the page (one browser context: one localStorage) show one conversation."""
    tab1 = page
    tab2 = page.context.new_page()
    errors: list = []
    tab2.on("pageerror", lambda error: errors.append(error))
    confirmed: list = []  # socket.io frames tab 1 received (to see it join a new conversation)
    tab1.on("websocket", lambda ws: ws.on("framereceived", lambda frame: confirmed.append(str(frame))))
    open_chat(tab1, assistant)
    open_chat(tab2, assistant)
    first_session = session_id(tab1)
    assert session_id(tab2) == first_session

    # Typed in tab 1: the message and Colibri's answer show in tab 2, without reload.
    n = bot_bubbles(tab1).count()
    type_message(tab1, "bonjour")
    expect(tab2.locator(".colibri-user .colibri-bubble")).to_have_count(1)
    expect(tab2.locator(".colibri-user .colibri-bubble")).to_contain_text("bonjour")
    tab2.evaluate("document.querySelector('.colibri-user').dataset.probe = 'kept'")
    wait_for_bot(tab1, n)
    expect(bot_bubbles(tab2)).to_have_text(bot_bubbles(tab1).all_inner_texts(), use_inner_text=True)

    # A button used in tab 2 shows as used in tab 1; both show the answer.
    choices = tab2.locator(".colibri-buttons").last.get_by_role("button")
    title = choices.first.inner_text()
    n = bot_bubbles(tab2).count()
    choices.first.click()
    expect(tab1.locator(".colibri-buttons").last.get_by_role("button").first).to_be_disabled()
    expect(tab1.locator(".colibri-user .colibri-bubble").last).to_contain_text(title)
    assert "CO" in wait_for_bot(tab2, n)
    expect(bot_bubbles(tab1)).to_have_text(bot_bubbles(tab2).all_inner_texts(), use_inner_text=True)
    # Tab 2 only added the new messages to its log (the live region does not read it all again).
    expect(tab2.locator(".colibri-user[data-probe=kept]")).to_have_count(1)
    screenshot(tab1, "web-chat-tab-1")

    # Every message of the conversation is saved exactly once: Colibri's as Rasa recorded them
    # (a text is sent in parts at its blank lines), the customer's as shown.
    saved = saved_transcript(tab1)
    events = assistant.tracker(first_session)["events"]
    said = [part for e in events if e.get("event") == "bot" and e.get("text")
            for part in e["text"].strip().split("\n\n")]
    assert [m["text"] for m in saved if m["from"] == "bot"] == said
    assert [m["text"] for m in saved if m["from"] == "user"] == ["bonjour", title]
    assert len({m["id"] for m in saved}) == len(saved)

    # A reload of tab 2 shows the whole conversation once.
    tab2.reload()
    expect(tab2.locator(".colibri-msg")).to_have_count(len(saved))
    expect(tab2.locator(".colibri-user .colibri-bubble")).to_have_count(2)
    expect(bot_bubbles(tab2)).to_have_count(len(said))
    expect(tab2.locator(".colibri-buttons").first.get_by_role("button").first).to_be_disabled()
    screenshot(tab2, "web-chat-tab-2-reloaded")

    # A new conversation in tab 2 starts one in tab 1 too: cleared, in the new Rasa conversation.
    tab2.get_by_role("button", name="Nouvelle conversation").click()
    new_session = session_id(tab2)
    assert new_session != first_session
    expect(tab1.locator(".colibri-user")).to_have_count(0)
    expect(tab1.locator(".colibri-msg")).to_have_count(1)  # Colibri's welcome
    assert session_id(tab1) == new_session
    for _ in range(100):
        if any("session_confirm" in frame and new_session in frame for frame in confirmed):
            break
        tab1.wait_for_timeout(100)
    else:
        pytest.fail("tab 1 did not join the new conversation")
    n = bot_bubbles(tab1).count()
    type_message(tab1, "bonjour")
    wait_for_bot(tab1, n)
    expect(bot_bubbles(tab2)).to_have_text(bot_bubbles(tab1).all_inner_texts(), use_inner_text=True)
    expect(tab2.locator(".colibri-user .colibri-bubble")).to_have_count(1)
    tracker = assistant.tracker(new_session)
    assert [e.get("text") for e in tracker["events"] if e.get("event") == "user"] == ["bonjour"]
    assert errors == [], errors


def test_a_message_typed_before_the_connection_is_sent_once_connected(assistant, page):
    """On a slow network the customer may type before the socket is connected: the message is
    shown at once and sent as soon as the connection is up, not refused."""
    blocked_until = time.monotonic() + 3

    def slow_network(ws):  # the WebSocket fails for 3 s (socket.io retries), then reaches Rasa
        if time.monotonic() < blocked_until:
            ws.close()
        else:
            ws.connect_to_server()

    page.route_web_socket("**/socket.io/**", slow_network)
    page.route("**/socket.io/**", lambda route: route.abort())  # no polling fallback meanwhile
    open_chat(page, assistant)
    n = bot_bubbles(page).count()
    type_message(page, "bonjour")  # shown at once, while still offline
    assert time.monotonic() < blocked_until, "typed before the connection could be made"
    answer = wait_for_bot(page, n)
    assert "Colibri" in answer or "aider" in answer
    assert page.get_by_text("je n'arrive pas à joindre le service").count() == 0
