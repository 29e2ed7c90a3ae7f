"""The KPI dashboard in a real browser: Debian's Chromium driven by Playwright.

Only the web server runs (web/server.py as a real process, no Rasa, no model), on the
scripted tracker store and project database. An advisor signs in on /desk/kpi/, reads
the figures ``make kpi`` prints, switches to one channel; a screenshot is kept in
results/browser/kpi_dashboard.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from browser_helpers import browser_fixture, page_fixture, screenshot  # noqa: F401 - fixtures
from playwright.sync_api import expect
from test_dashboard_api import PASSWORD, write_advisors

from kpi import report, table
from kpi.period import Period

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.parametrize("stores", ["sqlite"], indirect=True)  # one backend is enough here


@pytest.fixture
def web(stores, tmp_path: Path) -> Iterator[str]:
    """The web server on a free port; its base URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("RASA_PUBLIC_URL", "WEB_HOST", "WEB_PORT")}
    env.update(DATABASE_URL=stores.shop_url, TRACKER_STORE_URL=stores.tracker_url, RASA_URL="http://127.0.0.1:9",
               DESK_ADVISORS=str(write_advisors(tmp_path / "advisors.yml")), PYTHONUNBUFFERED="1",
               SQLALCHEMY_SILENCE_UBER_WARNING="1")
    log = (tmp_path / "web.log").open("w+")
    command = [sys.executable, str(ROOT / "web" / "server.py"), "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert found, f"no URL printed: {first!r}; {log.seek(0) or log.read()}"
        yield found.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        log.close()


def test_an_advisor_reads_the_kpis_in_the_browser(web: str, stores, page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{web}/desk/kpi/?from=2026-11-01&to=2026-11-30")
    page.get_by_test_id("login-username").fill("julie")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("advisor-name")).to_have_text("Julie", timeout=10_000)

    figures = {"conversations": "7", "customers": "5", "new-customers": "4", "active-customers": "2",
               "engaged-customers": "1", "retention": "50,0 %", "response-p50": "0,60 s",
               "confusion": "42,9 %", "csat": "3,67 / 5", "containment": "71,4 %", "handoff": "28,6 %"}
    for name, value in figures.items():
        expect(page.get_by_test_id(f"kpi-{name}-value")).to_have_text(value, timeout=20_000)
    expect(page.get_by_test_id("kpi-period")).to_have_text(
        "Du 01/11/2026 au 30/11/2026 · canal : tous · heure de Paris")
    expect(page.get_by_test_id("confusion-redirected")).to_have_text("33,3 % (1 sur 3)")

    # The evolution table shows, cell for cell, the CLI's « Évolution par semaine ».
    expected = report.build(Period.parse("2026-11-01", "2026-11-30"), stores.tracker_url, stores.shop)
    printed = table.render(expected).split("9. Évolution par semaine\n")[1].splitlines()[2:]
    rows = page.get_by_test_id("kpi-series").locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))")
    assert rows == [re.split(r" {2,}", line.strip()) for line in printed]
    assert rows[2] == ["sem. du 09/11", "3", "2", "2", "1", "0", "50,0 %", "0,70 s", "1,20 s", "66,7 %",
                       "2,00 / 5", "33,3 %"]

    # Charts: inline SVG, drawn in the page (no library, nothing from elsewhere).
    for chart in ("usage", "retention", "response", "confusion", "csat", "distribution", "containment"):
        assert page.get_by_test_id(f"chart-{chart}").locator("svg").count() == 1, chart
    bars = page.get_by_test_id("chart-usage").locator("rect.bar")
    assert bars.count() == 18  # 3 series × 6 weeks
    assert bars.nth(1).locator("title").text_content() == "sem. du 02/11 — Conversations : 2"
    comments = page.get_by_test_id("csat-comment").all_text_contents()
    assert [c.split("·")[1].strip() for c in comments] == ["2/5", "5/5"] and "trop long" in comments[0]
    expect(page.get_by_test_id("top-misunderstood")).to_contain_text("zorglub commande CO100000")
    screenshot(page, "kpi_dashboard")

    page.get_by_test_id("kpi-channel").select_option("socketio")
    page.get_by_test_id("kpi-apply").click()
    expect(page.get_by_test_id("kpi-conversations-value")).to_have_text("4", timeout=20_000)
    expect(page.get_by_test_id("kpi-response-p50-value")).to_have_text("0,40 s")
    expect(page.get_by_test_id("kpi-period")).to_contain_text("canal : Site web")
    assert "channel=socketio" in page.url

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
