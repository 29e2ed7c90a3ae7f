"""The KPIs' building blocks, without a database: percentiles, periods, conversations."""

from __future__ import annotations

from datetime import date

import pytest

from actions.advisor_messages import advisor_metadata
from kpi.conversations import Conversation, Handoff, Rating, attach, sessions, summarise
from kpi.metrics import percentile, rate, retention, usage
from kpi.period import Period, PeriodError, epoch
from trainers.selection import Thresholds

THRESHOLDS = Thresholds(0.55, 0.1)


@pytest.mark.parametrize("values,p,expected", [
    ([], 50, None),
    ([7.0], 95, 7.0),
    ([1, 2, 3, 4], 50, 2),  # ceil(0.5 × 4) = 2nd
    ([1, 2, 3, 4, 5], 50, 3),  # ceil(2.5) = 3rd
    (list(range(1, 21)), 95, 19),  # ceil(19.0) = 19th: exact, no float rounding up to the 20th
    (list(range(1, 101)), 95, 95),
    ([3, 1, 2], 100, 3),
])
def test_nearest_rank_percentile(values, p, expected) -> None:
    assert percentile(values, p) == expected


def test_rates_round_to_a_tenth_of_a_percent() -> None:
    assert (rate(1, 3), rate(2, 3), rate(1, 16), rate(0, 5), rate(3, 0)) == (0.333, 0.667, 0.062, 0.0, None)


def test_period_defaults_and_buckets() -> None:
    period = Period.parse(None, None, None, today=date(2026, 11, 23))
    assert (period.start, period.end, period.channel) == (date(2026, 10, 25), date(2026, 11, 23), None)
    assert Period.parse("2026-11-01", "2026-11-01", "tous").channel is None
    assert Period.parse("2026-11-01", "2026-11-30", " SocketIO ").channel == "socketio"
    year = Period.parse("2026-01-15", "2026-12-31")
    assert year.granularity == "month"
    assert [b.key for b in year.buckets()][:2] == ["2026-01", "2026-02"]
    assert [(b.key, b.start.isoformat(), b.end.isoformat()) for b in year.buckets("quarter")] == [
        ("2026-T1", "2026-01-15", "2026-03-31"), ("2026-T2", "2026-04-01", "2026-06-30"),
        ("2026-T3", "2026-07-01", "2026-09-30"), ("2026-T4", "2026-10-01", "2026-12-31")]
    assert [b.label for b in year.buckets()][-1] == "déc. 2026"
    # Paris midnight, in winter (UTC+1) and in summer (UTC+2)
    assert epoch(date(2026, 11, 1)) == 1_793_487_600 and epoch(date(2026, 7, 1)) == 1_782_856_800


@pytest.mark.parametrize("start,end,channel,message", [
    ("2026-02-30", None, None, "--from : date invalide"),
    ("2026-11-02", "2026-11-01", None, "est après --to"),
    (None, None, "whatsapp", "canal inconnu"),
])
def test_period_errors(start, end, channel, message) -> None:
    with pytest.raises(PeriodError, match=message):
        Period.parse(start, end, channel, today=date(2026, 11, 23))


def user(t: float, text: str = "bonjour", intent: str = "greet", **extra) -> dict:
    return {"event": "user", "timestamp": t, "text": text, "input_channel": "rest",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9},
                           "intent_ranking": [{"name": intent, "confidence": 0.9}]}, **extra}


def bot(t: float, **extra) -> dict:
    return {"event": "bot", "timestamp": t, "text": "…", **extra}


def test_events_before_the_first_session_start_are_a_conversation() -> None:
    events = [user(1), bot(2), {"event": "session_started", "timestamp": 10}, user(11), bot(12)]
    assert [[e["timestamp"] for e in s] for s in sessions(events)] == [[1, 2], [10, 11, 12]]
    assert summarise("x", [{"event": "session_started", "timestamp": 1}], THRESHOLDS) is None


def test_response_times_skip_advisors_and_desk_triggers() -> None:
    external = {"event": "user", "timestamp": 20, "text": "EXTERNAL: EXTERNAL_handoff_closed",
                "parse_data": {"intent": {"name": "EXTERNAL_handoff_closed"}},
                "metadata": {"is_external": True}}
    events = [user(0), bot(0.25), bot(0.5),  # only the first reply counts
              # an advisor's reply is not Colibri's
              user(10), bot(11, metadata=advisor_metadata("Julie", "julie")),
              external, bot(20.5),  # Colibri speaks after the desk's trigger: no customer message to time
              user(30, "nlu", "nlu_fallback"), {"event": "action", "name": "action_default_ask_affirmation"},
              bot(30.75), {"event": "slot", "name": "satisfaction_request", "value": None}]
    conversation = summarise("x", events, THRESHOLDS)
    assert (conversation.messages, conversation.response_times) == (3, [0.25, 0.75])
    assert conversation.confusion == {"fallback", "rephrase"}
    assert conversation.surveys == 0 and conversation.channel == "rest" and conversation.started_at == 0


def test_handoffs_and_ratings_go_to_the_conversation_begun_by_then() -> None:
    first, second = Conversation("a", 100.0, "rest"), Conversation("a", 200.0, "rest")
    attach({"a": [first, second]}, [Handoff("a", 150.0, "offered"), Handoff("a", 50.0, "offered"),
                                    Handoff("b", 150.0, "offered")],
           [Rating("a", 250.0, 4, "faq", "rest")])
    assert [len(first.handoffs), len(second.handoffs), len(second.ratings)] == [1, 0, 1]


def test_usage_and_retention_of_a_window() -> None:
    history = {"a": [Conversation("a", 5.0, "rest", messages=6), Conversation("a", 15.0, "rest")],
               "b": [Conversation("b", 12.0, "rest", messages=1)]}
    assert usage(history, 10.0, 20.0) == {"conversations": 2, "customers": 2, "new_customers": 1,
                                          "active_customers": 0, "engaged_customers": 0,
                                          "customer_messages": 1}
    assert retention(history, 0.0, 10.0, 20.0) == {"new_customers": 1, "returned": 1, "rate": 1.0}
    assert retention(history, 0.0, 10.0, 12.0)["returned"] == 0  # came back after the horizon
