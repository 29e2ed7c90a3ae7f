"""The agent desk in a real browser: Debian's Chromium driven by Playwright.

A REST customer asks for an advisor; Julie signs in on the desk page, takes the
conversation, reads the transcript (HTML typed by the customer shows as text), replies,
and closes; the customer picks up her reply and Colibri's return.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from browser_helpers import browser_fixture, page_fixture  # noqa: F401 - fixtures
from chat_helpers import said
from playwright.sync_api import expect
from sqlalchemy import select

from actions.desk_models import Handoff

pytestmark = pytest.mark.e2e

HOSTILE = '<img src=x onerror="window.__pwned = 1">'


def pick_up(assistant, sender: str, since: float) -> str:
    reply = requests.get(f"{assistant.rasa_url}/webhooks/rest/messages",
                         params={"sender": sender, "since": since}, timeout=10)
    return said(reply.json())


def test_wrong_password_is_refused_on_the_page(assistant, page):
    page.goto(f"{assistant.desk_url}/desk/")
    page.get_by_test_id("login-username").fill("julie")
    page.get_by_test_id("login-password").fill("pas le bon")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("incorrect", timeout=10_000)
    assert page.get_by_test_id("queue").is_hidden()


def test_advisor_takes_replies_and_closes_in_the_browser(assistant, page):
    assistant.advisors_hours(open=True)
    say = assistant.conversation()
    say("bonjour")
    assert re.search(r"TKT-\d{6}", said(say("je veux parler à un conseiller")))
    assert say(HOSTILE) == []  # paused: recorded for the desk, Colibri silent

    page.goto(f"{assistant.desk_url}/desk/")
    page.get_by_test_id("login-username").fill("julie")
    page.get_by_test_id("login-password").fill(assistant.advisor_password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("advisor-name")).to_have_text("Julie", timeout=10_000)

    handoff_id = assistant.shop(select(Handoff.id).where(Handoff.conversation_id == say.sender))
    item = page.locator(f'[data-testid="queue-item"][data-handoff-id="{handoff_id}"]')
    item.wait_for(timeout=15_000)
    item.get_by_test_id("take-button").click()

    transcript = page.get_by_test_id("transcript")
    transcript.get_by_text(HOSTILE, exact=True).wait_for(timeout=15_000)
    roles = transcript.get_by_test_id("message").evaluate_all("els => els.map(e => e.dataset.role)")
    assert roles[:2] == ["customer", "bot"] and roles[-1] == "customer"
    assert page.evaluate("window.__pwned") is None
    assert page.locator('[data-testid="transcript"] img').count() == 0

    before = time.time()
    page.get_by_test_id("reply-input").fill("Bonjour, c'est Julie : je m'occupe de vous.")
    page.get_by_test_id("reply-send").click()
    transcript.locator('[data-role="advisor"]').get_by_text("je m'occupe de vous").wait_for(timeout=10_000)
    deadline = time.monotonic() + 10
    while "je m'occupe de vous" not in pick_up(assistant, say.sender, before) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "Bonjour, c'est Julie : je m'occupe de vous." in pick_up(assistant, say.sender, before)

    # The customer's answer appears without reloading the page.
    say("super merci")
    transcript.get_by_text("super merci", exact=True).wait_for(timeout=10_000)

    before = time.time()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("close-button").click()
    deadline = time.monotonic() + 15
    while "Julie" not in pick_up(assistant, say.sender, before) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "1 à 5" in pick_up(assistant, say.sender, before)
    assert not assistant.tracker(say.sender)["paused"]


def test_a_session_ended_elsewhere_brings_the_login_back_with_a_note(assistant, page):
    """The desk's API client (web/desk/api.js) turns a 401 into « session expirée »."""
    page.goto(f"{assistant.desk_url}/desk/")
    page.get_by_test_id("login-username").fill("julie")
    page.get_by_test_id("login-password").fill(assistant.advisor_password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("advisor-name")).to_have_text("Julie", timeout=10_000)

    # the session ends on the server (as after its time limit): the page's cookie, another request
    ended = page.request.post(f"{assistant.desk_url}/desk/api/logout", data={})
    assert ended.ok

    expect(page.get_by_test_id("login-form")).to_be_visible(timeout=15_000)
    expect(page.locator("#login-notice")).to_have_text("Votre session a expiré. Merci de vous reconnecter.")
    assert page.get_by_test_id("queue").is_hidden()
