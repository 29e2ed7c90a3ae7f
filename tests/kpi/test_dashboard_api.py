"""The dashboard's JSON (``GET /desk/api/kpi``): advisors only, the very figures of ``make kpi``."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Optional

import pytest

from actions import db
from desk import passwords
from desk.api import COOKIE, DeskApi, Reply
from desk.rasa_api import RasaApi
from kpi import report, table
from kpi.__main__ import main
from kpi.period import Period

PASSWORD = "bon-mot-de-passe"


def write_advisors(path: Path) -> Path:
    hashed = passwords.hash_password(PASSWORD, iterations=1000)
    path.write_text(f'advisors:\n  - {{username: julie, name: Julie, password_hash: "{hashed}"}}\n',
                    encoding="utf-8")
    return path


@pytest.fixture
def desk(stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskApi:
    monkeypatch.setenv("DESK_ADVISORS", str(write_advisors(tmp_path / "advisors.yml")))
    monkeypatch.setenv("TRACKER_STORE_URL", stores.tracker_url)
    monkeypatch.setenv("DATABASE_URL", stores.shop_url)
    db.use_engine(stores.shop)
    return DeskApi(rasa=RasaApi("http://127.0.0.1:9", None, timeout=1))  # Rasa is not needed


def get(api: DeskApi, path: str, cookie: Optional[str] = None) -> Reply:
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    return api.handle("GET", path, headers, b"")


def login(api: DeskApi) -> str:
    reply = api.handle("POST", "/desk/api/login", {"Content-Type": "application/json"},
                       json.dumps({"username": "julie", "password": PASSWORD}).encode())
    assert reply.status == HTTPStatus.OK
    return dict(reply.headers)["Set-Cookie"].split(";")[0].split("=", 1)[1]


def test_the_figures_need_an_advisor(desk: DeskApi) -> None:
    assert get(desk, "/desk/api/kpi").status == HTTPStatus.UNAUTHORIZED
    assert get(desk, "/desk/api/kpi?from=2026-11-01", cookie="forged").status == HTTPStatus.UNAUTHORIZED
    cookie = login(desk)
    posted = desk.handle("POST", "/desk/api/kpi", {"Content-Type": "application/json",
                                                   "Cookie": f"{COOKIE}={cookie}"}, b"{}")
    assert posted.status == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_api_gives_the_command_lines_figures(desk: DeskApi, stores, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    cookie = login(desk)
    reply = get(desk, "/desk/api/kpi?from=2026-11-01&to=2026-11-30&channel=socketio", cookie)
    assert reply.status == HTTPStatus.OK
    body = json.loads(json.dumps(reply.body))  # what the browser receives
    period = Period.parse("2026-11-01", "2026-11-30", "socketio")
    expected = report.build(period, stores.tracker_url, stores.shop)
    assert body == expected
    assert (body["usage"]["conversations"], body["confusion"]["rate"], body["response_time"]["p50"]) == \
        (4, 0.5, 0.4)
    assert main(["--from", "2026-11-01", "--to", "2026-11-30", "--channel", "socketio",
                 "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith(table.render(body))


def test_default_period_and_bad_parameters(desk: DeskApi) -> None:
    cookie = login(desk)
    default = get(desk, "/desk/api/kpi", cookie)
    assert default.status == HTTPStatus.OK and default.body["period"]["channel"] is None
    for query, message in [("from=2026-11-30&to=2026-11-01", "est après --to"),
                           ("channel=telegram", "canal inconnu"),
                           ("from=31/11/2026", "date invalide")]:
        reply = get(desk, f"/desk/api/kpi?{query}", cookie)
        assert reply.status == HTTPStatus.BAD_REQUEST and message in reply.body["error"], query


def test_an_unreachable_tracker_store_is_a_clean_503(desk: DeskApi, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cookie = login(desk)
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    reply = get(desk, "/desk/api/kpi?from=2026-11-01&to=2026-11-30", cookie)
    assert reply.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert reply.body == {"error": "indicateurs indisponibles : les données de Colibri ne sont pas "
                                   "joignables, réessayez plus tard"}
    assert not (tmp_path / "missing.db").exists()
