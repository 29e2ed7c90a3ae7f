"""Exact KPIs of the scripted conversations (tests/kpi/scripted.py), on SQLite and PostgreSQL.

Every expected figure is worked out by hand from the scripts; the comments say how.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import make_url

from actions import db
from actions.seed import seed
from kpi import report
from kpi.__main__ import main
from kpi.period import Period

NOVEMBER = Period.parse("2026-11-01", "2026-11-30")
# Response times of November, seconds: alice 0.5 1.5 0.2 0.3 | bob 0.4 0.6, 0.8 | carla 0.3 1.0 0.4
# (« allo ? » got no reply from Colibri, only the advisor's) | dan 0.5 0.7 0.9, 1.2
# | emma 0.9 1.1 0.6 0.3 0.2.
# Sorted (19): .2 .2 .3 .3 .3 .4 .4 .5 .5 [.6] .6 .7 .8 .9 .9 1.0 1.1 1.2 1.5: p50 = 10th, p95 = 19th.


def build(stores, period: Period) -> Dict[str, Any]:
    return report.build(period, stores.tracker_url, stores.shop)


def strip(rows: List[Dict[str, Any]], *keys: str) -> List[Dict[str, Any]]:
    return [{k: row[k] for k in keys} for row in rows]


def test_november_all_channels(stores) -> None:
    got = build(stores, NOVEMBER)
    assert got["period"] == {"from": "2026-11-01", "to": "2026-11-30", "channel": None,
                             "timezone": "Europe/Paris", "granularity": "week"}
    # 7 conversations: alice, bob ×2, carla, dan ×2, emma (not ghost: no message; not fred: 1 Dec in Paris).
    # alice came in October: not new. Active: bob, dan (2 conversations). Engaged: emma (5 messages).
    assert got["usage"] == {"conversations": 7, "customers": 5, "new_customers": 4, "active_customers": 2,
                            "engaged_customers": 1, "customer_messages": 20}
    # New: bob, carla, dan, emma; bob (20 Nov) and dan (13:30) came back.
    retention = got["retention"]
    assert (retention["new_customers"], retention["returned"], retention["rate"]) == (4, 2, 0.5)
    assert strip(retention["months"], "key", "label", "new_customers", "returned", "rate") == [
        {"key": "2026-11", "label": "nov. 2026", "new_customers": 4, "returned": 2, "rate": 0.5}]
    assert strip(retention["quarters"], "key", "start", "end", "rate") == [
        {"key": "2026-T4", "start": "2026-11-01", "end": "2026-11-30", "rate": 0.5}]
    assert got["response_time"] == {
        "messages": 19, "p50": 0.6, "p95": 1.5, "max": 1.5,
        "channels": [
            {"channel": "rest", "label": "API REST", "messages": 4, "p50": 0.7, "p95": 1.2, "max": 1.2},
            {"channel": "socketio", "label": "Site web", "messages": 10, "p50": 0.4, "p95": 1.5, "max": 1.5},
            {"channel": "facebook", "label": "Messenger", "messages": 5, "p50": 0.6, "p95": 1.1, "max": 1.1}]}
    # Confused: bob (fallback + « vous voulez… ? »), carla (out of scope), dan (fallback ×2); dan was
    # handed over as not_understood, carla at her own request.
    assert got["confusion"] == {"conversations": 7, "confused": 3, "rate": 0.429, "fallback": 2,
                                "rephrase": 2, "out_of_scope": 1, "redirected": 1, "redirected_rate": 0.333}
    # Surveys: alice, carla, dan, emma (alice's slot carried over at 09:58 is not one); rated: 5, 2, 4.
    # rest-nobody's rating has no conversation; fred's is in December.
    assert got["satisfaction"] == {
        "surveys": 4, "ratings": 3, "response_rate": 0.75, "mean": 3.67,
        "distribution": [{"rating": 1, "count": 0}, {"rating": 2, "count": 1}, {"rating": 3, "count": 0},
                         {"rating": 4, "count": 1}, {"rating": 5, "count": 1}],
        "comments": [
            {"date": "2026-11-10 15:06", "channel": "socketio", "rating": 2, "request": "handoff",
             "request_label": "Aide d'un conseiller", "comment": "trop long"},
            {"date": "2026-11-03 10:01", "channel": "socketio", "rating": 5, "request": "order_tracking",
             "request_label": "Suivi de commande", "comment": "super rapide"}]}
    assert got["containment"] == {"conversations": 7, "contained": 5, "containment_rate": 0.714}
    assert got["handoffs"] == {"handed_off": 2, "handoff_rate": 0.286, "handoffs": 2, "reasons": [
        {"reason": "customer_request", "label": "Demande du client", "count": 1},
        {"reason": "not_understood", "label": "Incompréhension", "count": 1}]}
    assert got["top_requests"] == [
        {"request": "track_order", "label": "Suivre une commande", "conversations": 3, "share": 0.429},
        {"request": "cancel_order", "label": "Annuler une commande", "conversations": 1, "share": 0.143},
        {"request": "faq/delivery_cost", "label": "FAQ : Les frais de livraison", "conversations": 1,
         "share": 0.143},
        {"request": "faq/payment_methods", "label": "FAQ : Les moyens de paiement", "conversations": 1,
         "share": 0.143},
        {"request": "human_handoff", "label": "Parler à un conseiller", "conversations": 1, "share": 0.143},
        {"request": "return_item", "label": "Retourner un article", "conversations": 1, "share": 0.143}]
    # bob's and dan's « zorglub commande CO10000x » are one message once the order number is masked.
    assert strip(got["top_misunderstood"], "text", "count", "reasons", "guess") == [
        {"text": "zorglub commande CO100000", "count": 2, "reasons": ["fallback", "low_confidence"],
         "guess": "greet"},
        {"text": "quel temps fait-il à Lyon", "count": 1, "reasons": ["out_of_scope", "handoff"],
         "guess": "out_of_scope"},
        {"text": "toujours pas", "count": 1, "reasons": ["fallback", "low_confidence", "handoff"],
         "guess": "deny"}]


def test_november_per_week(stores) -> None:
    series = build(stores, NOVEMBER)["series"]
    assert [s["label"] for s in series] == ["sem. du 01/11", "sem. du 02/11", "sem. du 09/11",
                                            "sem. du 16/11", "sem. du 23/11", "sem. du 30/11"]
    assert [(s["start"], s["end"]) for s in series][:2] == [("2026-11-01", "2026-11-01"),
                                                            ("2026-11-02", "2026-11-08")]

    def column(name: str) -> list:
        return [s[name] for s in series]

    assert column("conversations") == [0, 2, 3, 1, 1, 0]
    assert column("customers") == [0, 2, 2, 1, 1, 0]
    assert column("new_customers") == [0, 1, 2, 0, 1, 0]
    assert column("active_customers") == [0, 0, 1, 0, 0, 0]
    assert column("engaged_customers") == [0, 0, 0, 0, 1, 0]
    assert column("retention_rate") == [None, 1.0, 0.5, None, 0.0, None]
    # week of 9 Nov: carla .3 1.0 .4, dan .5 .7 .9 and 1.2: sorted, the 4th of 7 is .7.
    assert column("response_p50") == [None, 0.4, 0.7, 0.8, 0.6, None]
    assert column("response_p95") == [None, 1.5, 1.2, 0.8, 1.1, None]
    assert column("confusion_rate") == [None, 0.5, 0.667, 0.0, 0.0, None]
    assert column("csat_mean") == [None, 5.0, 2.0, None, 4.0, None]
    assert column("containment_rate") == [None, 1.0, 0.333, 1.0, 1.0, None]
    assert column("handoff_rate") == [None, 0.0, 0.667, 0.0, 0.0, None]


def test_november_on_the_web_chat_only(stores) -> None:
    got = build(stores, Period.parse("2026-11-01", "2026-11-30", "socketio"))
    # alice, bob ×2, carla.
    assert got["usage"] == {"conversations": 4, "customers": 3, "new_customers": 2, "active_customers": 1,
                            "engaged_customers": 0, "customer_messages": 11}
    assert (got["retention"]["new_customers"], got["retention"]["returned"], got["retention"]["rate"]) == \
        (2, 1, 0.5)
    # .5 1.5 .2 .3 | .4 .6 | .8 | .3 1.0 .4 -> .2 .3 .3 .4 [.4] .5 .6 .8 1.0 1.5
    assert got["response_time"] == {"messages": 10, "p50": 0.4, "p95": 1.5, "max": 1.5, "channels": [
        {"channel": "socketio", "label": "Site web", "messages": 10, "p50": 0.4, "p95": 1.5, "max": 1.5}]}
    assert got["confusion"] == {"conversations": 4, "confused": 2, "rate": 0.5, "fallback": 1, "rephrase": 1,
                                "out_of_scope": 1, "redirected": 0, "redirected_rate": 0.0}
    csat = got["satisfaction"]
    assert (csat["surveys"], csat["ratings"], csat["response_rate"], csat["mean"]) == (2, 2, 1.0, 3.5)
    assert got["containment"] == {"conversations": 4, "contained": 3, "containment_rate": 0.75}
    assert got["handoffs"]["handoff_rate"] == 0.25
    assert strip(got["top_requests"], "request", "conversations") == [
        {"request": "track_order", "conversations": 2}, {"request": "human_handoff", "conversations": 1},
        {"request": "return_item", "conversations": 1}]
    assert strip(got["top_misunderstood"], "text", "count") == [
        {"text": "quel temps fait-il à Lyon", "count": 1}, {"text": "zorglub commande CO100000", "count": 1}]


def test_the_fourth_quarter_per_month(stores) -> None:
    got = build(stores, Period.parse("2026-10-01", "2026-12-31"))
    assert got["period"]["granularity"] == "month"
    # + alice's October conversation (2 messages: 6 in all, engaged), gina, fred.
    assert got["usage"] == {"conversations": 10, "customers": 7, "new_customers": 7, "active_customers": 3,
                            "engaged_customers": 2, "customer_messages": 25}
    assert strip(got["retention"]["months"], "key", "new_customers", "returned", "rate") == [
        {"key": "2026-10", "new_customers": 2, "returned": 1, "rate": 0.5},  # alice came back, gina did not
        {"key": "2026-11", "new_customers": 4, "returned": 2, "rate": 0.5},
        {"key": "2026-12", "new_customers": 1, "returned": 0, "rate": 0.0}]
    assert strip(got["retention"]["quarters"], "key", "new_customers", "returned", "rate") == [
        {"key": "2026-T4", "new_customers": 7, "returned": 3, "rate": 0.429}]
    # + .5 1.0 (alice), 1.0 (gina), .5 .8 (fred): 24 values, the 12th is .6, the 23rd 1.2.
    assert {k: got["response_time"][k] for k in ("messages", "p50", "p95", "max")} == \
        {"messages": 24, "p50": 0.6, "p95": 1.2, "max": 1.5}
    assert got["handoffs"]["reasons"] == [
        {"reason": "customer_request", "label": "Demande du client", "count": 2},
        {"reason": "not_understood", "label": "Incompréhension", "count": 1},
        {"reason": "offered", "label": "Proposé par Colibri", "count": 1}]
    assert got["containment"] == {"conversations": 10, "contained": 6, "containment_rate": 0.6}
    csat = got["satisfaction"]
    assert (csat["surveys"], csat["ratings"], csat["response_rate"], csat["mean"]) == (5, 4, 0.8, 3.0)
    # fred's phone number is masked as in the trainers' inbox.
    assert csat["comments"][0] == {"date": "2026-12-01 00:31", "channel": "socketio", "rating": 1,
                                   "request": "handoff", "request_label": "Aide d'un conseiller",
                                   "comment": "nul, rappelez-moi au 06 00 00 00 00"}
    assert [(s["key"], s["conversations"], s["new_customers"]) for s in got["series"]] == \
        [("2026-10", 2, 2), ("2026-11", 7, 4), ("2026-12", 1, 1)]


def test_a_day_is_a_day_in_paris(stores) -> None:
    """fred wrote on 1 Dec at 00:30 in Paris, still 30 Nov in UTC: December's, not November's."""
    assert build(stores, Period.parse("2026-11-30", "2026-11-30"))["usage"]["conversations"] == 0
    got = build(stores, Period.parse("2026-12-01", "2026-12-01"))
    assert (got["usage"]["conversations"], got["usage"]["new_customers"]) == (1, 1)
    assert got["handoffs"]["reasons"][0]["reason"] == "offered"
    # gina wrote on 31 Oct at 23:30 in Paris: October's.
    assert build(stores, Period.parse("2026-10-31", "2026-10-31"))["usage"]["conversations"] == 1


def test_nothing_in_the_period(stores) -> None:
    got = build(stores, Period.parse("2026-06-01", "2026-06-30"))
    assert got["usage"]["conversations"] == 0
    assert got["retention"]["rate"] is None and got["response_time"]["p50"] is None
    assert got["confusion"]["rate"] is None and got["satisfaction"]["mean"] is None
    assert got["top_requests"] == [] and got["top_misunderstood"] == []


def test_command_line_prints_the_table_and_writes_csv(stores, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", stores.shop_url)
    db.use_engine(stores.shop)
    before = tracker_digest(stores.tracker_url)
    code = main(["--from", "2026-11-01", "--to", "2026-11-30", "--channel", "socketio",
                 "--tracker-url", stores.tracker_url, "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Colibri — indicateurs clés du 01/11/2026 au 30/11/2026, canal : Site web" in printed
    for line in ("Conversations                                        4",
                 "Taux de rétention", "Sur la période                                       50,0 % (1 sur 2)",
                 "Médiane (p50)                                        0,40 s",
                 "Conversations avec confusion                         50,0 % (2 sur 4)",
                 "Note moyenne                                         3,50 / 5",
                 "Taux d'autonomie (aucun conseiller)                  75,0 % (3 sur 4)",
                 "1 × « zorglub commande CO100000 » (non compris, compréhension incertaine)"):
        assert line in printed, line
    folder = tmp_path / "2026-11-01_2026-11-30_socketio"
    assert str(folder / "kpi.csv") in printed
    figures = {(r["section"], r["indicator"], r["key"]): r["value"] for r in read_csv(folder / "kpi.csv")}
    assert figures[("usage", "conversations", "")] == "4"
    assert figures[("confusion", "rate", "")] == "0.5"
    assert figures[("response_time", "p50", "")] == "0.4"
    assert figures[("satisfaction", "response_rate", "")] == "1.0"
    assert figures[("handoff_reasons", "handoffs", "customer_request")] == "1"
    series = read_csv(folder / "series.csv")
    assert [(s["key"], s["conversations"], s["retention_rate"]) for s in series][:3] == \
        [("2026-10-26", "0", ""), ("2026-11-02", "2", "1.0"), ("2026-11-09", "1", "0.0")]
    assert [c["comment"] for c in read_csv(folder / "comments.csv")] == ["trop long", "super rapide"]
    assert tracker_digest(stores.tracker_url) == before  # read only


def read_csv(path: Path) -> List[Dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def tracker_digest(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return ""
    return hashlib.sha256(Path(parsed.database).read_bytes()).hexdigest()


def run(args: List[str]) -> int:
    """``main``'s exit code, also when argparse stops it."""
    try:
        return main(args)
    except SystemExit as stop:
        return int(stop.code)


@pytest.mark.parametrize("args,message", [
    (["--from", "2026-13-01"], "--from : date invalide '2026-13-01' (format attendu AAAA-MM-JJ)"),
    (["--to", "hier"], "--to : date invalide 'hier'"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "--from (2026-11-30) est après --to (2026-11-01)"),
    (["--channel", "telegram"], "canal inconnu 'telegram' (canaux : rest, socketio, facebook)"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_command_line_refuses_bad_input(args: List[str], message: str, capsys) -> None:
    assert run(args) == 2
    error = capsys.readouterr().err
    assert error.startswith("kpi : erreur : ") and message in error and error.count("\n") == 1


def test_command_line_reports_unreachable_databases(tmp_path: Path, monkeypatch, capsys) -> None:
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    assert run(["--tracker-url", tracker]) == 2
    assert capsys.readouterr().err == f"kpi : erreur : no SQLite database at {tmp_path / 'none.db'} " \
                                      "(DATABASE_URL; `make db` creates it)\n"
    assert not (tmp_path / "none.db").exists()

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nothing")
    db.use_engine(db.make_engine("postgresql://nobody@127.0.0.1:9/nothing"))
    assert run(["--tracker-url", tracker]) == 2
    assert capsys.readouterr().err == \
        f"kpi : erreur : tracker store: no SQLite database at {tmp_path / 'tracker.db'}\n"

    shop = tmp_path / "shop.db"
    engine = db.make_engine(f"sqlite:///{shop}")
    seed(engine)
    SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db")).engine.dispose()
    db.use_engine(engine)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{shop}")
    assert run(["--tracker-url", tracker, "--out", str(tmp_path / "out")]) == 0  # empty but fine
    capsys.readouterr()

    db.use_engine(db.make_engine("postgresql://nobody@127.0.0.1:9/nothing"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nothing")
    assert run(["--tracker-url", tracker]) == 2
    error = capsys.readouterr().err
    assert error.startswith("kpi : erreur : project database postgresql://nobody@127.0.0.1:9/nothing: "
                            "OperationalError") and error.count("\n") == 1
    assert run(["--tracker-url", f"sqlite:///{shop}"]) == 2
    assert "cannot read Rasa's events table" in capsys.readouterr().err
