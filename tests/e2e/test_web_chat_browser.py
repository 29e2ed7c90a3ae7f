"""The customer chat widget (web/colibri-chat.js) in a real browser, on Rasa's socket.io channel.

The demo page is opened with ``?rasa-url=`` (Rasa listens on a random port here); the web
server's CSP allows that origin because the fixture gives it ``RASA_URL``. The socket.io
client is web/vendor/socket.io.min.js, built by ``make web-assets``.
Screenshots: results/browser/.
"""

from __future__ import annotations

import urllib.parse

import pytest
import requests
from browser_helpers import ROOT, browser_fixture, page_fixture, screenshot  # noqa: F401 - fixtures
from playwright.sync_api import expect

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


def session_id(page) -> str:
    return page.evaluate("localStorage.getItem('colibri.session')")


def test_order_tracking_typed_then_reload_keeps_the_conversation(assistant, page):
    open_chat(page, assistant)
    expect(page.locator("#colibri-counter")).to_have_text("0 caractères sur 2 000")
    # Empty messages are not sent.
    page.get_by_label("Votre message").press("Enter")
    assert page.locator(".colibri-user").count() == 0

    n = bot_bubbles(page).count()
    type_message(page, "où est mon colis")
    expect(page.locator(".colibri-typing")).to_have_text("Colibri écrit…")
    assert "CO" in wait_for_bot(page, n)
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
    """The desk pushes an advisor's message through Rasa's HTTP API (docs/channels.md).

    Rasa 3.6's socket.io channel emits only ``{"text": ...}`` for it: the event's
    metadata (the advisor's name) does not reach the widget."""
    open_chat(page, assistant)
    n = bot_bubbles(page).count()
    type_message(page, "bonjour")
    wait_for_bot(page, n)
    text = "Bonjour, ici Julie, conseillère Colibri : voici le lien https://shop.test/suivi."
    response = requests.post(f"{assistant.rasa_url}/conversations/{session_id(page)}/tracker/events",
                             params={"token": assistant.token, "execute_side_effects": "true",
                                     "output_channel": "latest"},
                             json={"event": "bot", "text": text, "metadata": {"advisor": "Julie"}},
                             timeout=30)
    assert response.status_code == 200, response.text[:300]
    expect(page.locator(".colibri-log")).to_contain_text("ici Julie", timeout=15_000)
    link = page.locator(".colibri-bot a").last
    expect(link).to_have_attribute("href", "https://shop.test/suivi")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    screenshot(page, "web-chat-advisor-push")
