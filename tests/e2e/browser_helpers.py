"""Debian's Chromium driven by Playwright, for the browser tests of tests/e2e/.

Import the fixtures into a test module (pytest finds fixtures in its namespace)::

    from browser_helpers import browser_fixture, page_fixture  # noqa: F401 - fixtures

They are named ``browser`` and ``page`` for the tests (``name=``: no shadowing in the module).
``browser`` (module scope) launches /usr/bin/chromium headless, never a downloaded one;
``page`` is a fresh French-speaking context whose JavaScript errors fail the test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "results" / "browser"


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (make browser)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(name="page")
def page_fixture(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert errors == [], errors


def screenshot(page, name: str) -> Path:
    """Saves a full-page screenshot as results/browser/<name>.png and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
