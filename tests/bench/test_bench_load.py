"""The pure parts of the load benchmark (``bench/load*.py``): no server is started here.

The tracker store check runs against a small SQLite tracker store written by Rasa's own
``SQLTrackerStore``, so the events table is the one Rasa writes in production.
"""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path
from typing import List, Sequence

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine

from bench import load, load_check, load_scripts, load_stats, load_targets
from bench.load_stats import Record

# --------------------------------------------------------------------------- percentiles


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert load_stats.percentile(values, 50) == 50
    assert load_stats.percentile(values, 95) == 95
    assert load_stats.percentile(values, 99) == 99
    assert load_stats.percentile(values, 100) == 100
    assert load_stats.percentile([3.0, 1.0, 2.0], 50) == 2.0  # unsorted input
    assert load_stats.percentile([0.2], 95) == 0.2
    assert load_stats.percentile([1.0, 2.0], 95) == 2.0  # ceil(1.9) = 2nd value, never interpolated
    assert load_stats.percentile([], 95) is None


@pytest.mark.parametrize("p", [0, -1, 101])
def test_percentile_refuses_nonsense(p: float) -> None:
    with pytest.raises(ValueError):
        load_stats.percentile([1.0], p)


def test_latency_summary_in_milliseconds() -> None:
    summary = load_stats.latency_summary([0.010, 0.020, 0.030, 0.040, 1.0])
    assert summary == {"count": 5, "p50_ms": 30.0, "p95_ms": 1000.0, "p99_ms": 1000.0, "max_ms": 1000.0,
                       "mean_ms": 220.0}
    assert load_stats.latency_summary([])["p95_ms"] is None


def _record(sender: str, position: int, latency: float | None, error: str | None = None,
            flow: str = "tracking") -> Record:
    return Record(sender, position, "s", flow, "x", 0.0, latency, 200 if error is None else 502, error, 1)


def test_summarise_separates_errors_and_database_backed_messages() -> None:
    records = [_record("a", 0, 0.05), _record("a", 1, 0.30), _record("b", 0, 0.10, flow="faq"),
               _record("b", 1, None, "timeout"), _record("b", 2, 0.2, "http 502"),
               _record("c", 0, 0.1, "apology: Désolé")]
    summary = load_stats.summarise(records, {("a", 1): True, ("a", 0): False}, elapsed=2.0)
    assert summary["messages"] == 6 and summary["replied"] == 3 and summary["errors"] == 3
    assert summary["errors_by_kind"] == {"timeout": 1, "http 502": 1, "apology": 1}
    assert summary["messages_per_s"] == 1.5
    assert summary["conversations"] == 3
    assert summary["latency_db_backed"]["count"] == 1 and summary["latency_db_backed"]["p95_ms"] == 300.0
    assert summary["latency_other"]["count"] == 2
    assert set(summary["latency_by_flow"]) == {"tracking", "faq"}


def test_rate_ladder_and_highest_sustained_step() -> None:
    assert load_stats.rate_ladder(5, 2, 40) == [5, 10, 20, 40]
    assert load_stats.rate_ladder(5, 1.5, 12) == [5, 7.5, 11.25]
    with pytest.raises(ValueError):
        load_stats.rate_ladder(5, 1, 40)

    def step(rate: float, p95: float, errors: int = 0, store_ok: bool = True) -> dict:
        summary = {"messages_per_s": rate, "errors": errors, "latency": {"p95_ms": p95}}
        return {"summary": summary, "passed": load_stats.step_passes(summary, store_ok)}

    steps = [step(5, 80), step(10, 200), step(15, 480, errors=1), step(14, 450), step(20, 900)]
    assert [s["passed"] for s in steps] == [True, True, False, True, False]
    assert load_stats.highest_sustained(steps)["summary"]["messages_per_s"] == 14
    assert load_stats.highest_sustained([step(5, 600)]) is None
    assert not load_stats.step_passes({"errors": 0, "latency": {"p95_ms": 100}}, store_ok=False)


def test_verdicts_name_the_targets_and_say_when_the_load_differs() -> None:
    summary = {"errors": 0, "latency_db_backed": {"p95_ms": 120.0}}
    store = {"lost": 0, "reordered_conversations": 0, "unexpected": 0, "unanswered": 0}
    lines = load_stats.verdicts(summary, store, 20, 2.0)
    assert all(line.startswith("PASS") for line in lines) and "run at" not in lines[0]
    slow = {**summary, "latency_db_backed": {"p95_ms": 151.0}}
    lines = load_stats.verdicts(slow, {**store, "lost": 1}, 5, 1)
    assert lines[0].startswith("FAIL") and "run at 5 customers" in lines[0]
    assert lines[2].startswith("FAIL")


def test_max_rate_climbs_until_p95_breaks_then_refines_once(monkeypatch) -> None:
    """The ladder stops at the first failed step, then tries once between it and the last good one."""
    offered: List[float] = []

    def fake_measure(target, run, name, customers, interval, duration, timeout, seed):
        rate = customers / interval
        offered.append(rate)
        summary = {"messages_per_s": rate, "errors": 0, "latency": {"p95_ms": 20.0 * rate}}
        return {"summary": summary, "store": {"ok": True}, "records": [], "db_backed": {}, "actions": {}}

    monkeypatch.setattr(load, "measure", fake_measure)
    monkeypatch.setattr(load.time, "sleep", lambda seconds: None)
    args = load.parse_args(["--rate-start", "5", "--rate-factor", "2", "--rate-limit", "80",
                            "--step-duration", "1"])
    target = type("Target", (), {"name": "one"})()
    ladder = load.max_rate(target, "run", args)
    # 40 msg/s: p95 800 ms; then sqrt(20 * 40) = 28.28 msg/s, 57 customers writing every 2 s
    assert offered == [5, 10, 20, 40, 28.5]
    assert [s["passed"] for s in ladder["steps"]] == [True, True, True, False, False]
    assert ladder["best"]["summary"]["messages_per_s"] == 20 and not ladder["limit_reached"]

    offered.clear()
    args = load.parse_args(["--rate-start", "1", "--rate-factor", "2", "--rate-limit", "4"])
    ladder = load.max_rate(target, "run", args)
    assert offered == [1, 2, 4] and ladder["limit_reached"]

    offered.clear()  # the first step fails (p95 1.6 s): the search goes down until one passes
    args = load.parse_args(["--rate-start", "80", "--rate-factor", "2", "--interval", "1"])
    ladder = load.max_rate(target, "run", args)
    assert offered == [80, 40, 20] and ladder["best"]["summary"]["messages_per_s"] == 20


# --------------------------------------------------------------------------- scripts

CONTRACT_OWNERS = {
    "CO100001": "camille.martin@example.fr", "CO100002": "camille.martin@example.fr",
    "CO100003": "camille.martin@example.fr", "CO100004": "lucas.bernard@example.fr",
    "CO100005": "lucas.bernard@example.fr", "CO100006": "emma.petit@example.fr",
    "CO100007": "emma.petit@example.fr", "CO100008": "emma.petit@example.fr",
    "RET-100001": "emma.petit@example.fr", "RET-100002": "emma.petit@example.fr",
}
EMAIL = re.compile(r"[\w.]+@example\.fr", re.IGNORECASE)
ORDER = re.compile(r"co[ -]?(\d{6})|commande (\d{6})|(RET-\d{6})", re.IGNORECASE)


@pytest.mark.parametrize("script", load_scripts.COLIBRI_SCRIPTS, ids=lambda s: s.name)
def test_every_variant_of_a_colibri_script_uses_the_contracts_demo_data(script: load_scripts.Script) -> None:
    """The last e-mail typed belongs to the customer of the order or return numbers typed."""
    for seed in range(30):
        conversation = load_scripts.draw(script, random.Random(seed))
        texts = [text for text, _ in conversation.messages]
        numbers = {("CO" + (m[0] or m[1])) if not m[2] else m[2].upper()
                   for t in texts for m in ORDER.findall(t)}
        emails = [e.lower() for t in texts for e in EMAIL.findall(t)]
        assert numbers <= set(CONTRACT_OWNERS), numbers
        if numbers and emails:
            assert {CONTRACT_OWNERS[n] for n in numbers} == {emails[-1]}, texts


def test_the_three_kinds_of_conversation_of_the_issue_are_there() -> None:
    flows = {s.flow for s in load_scripts.COLIBRI_SCRIPTS}
    assert {"tracking", "return", "faq"} <= flows
    assert all(len(s.turns) >= 2 for s in (*load_scripts.COLIBRI_SCRIPTS, *load_scripts.STARTER_SCRIPTS))
    assert {s.flow for s in load_scripts.STARTER_SCRIPTS} == {"starter"}


def test_draw_takes_one_variant_per_turn_and_is_reproducible() -> None:
    script = load_scripts.Script("t", "tracking", (load_scripts.turn("a", "b"), load_scripts.turn("c")))
    first = load_scripts.draw(script, random.Random(1)).messages
    assert first == load_scripts.draw(script, random.Random(1)).messages
    assert first[0][0] in ("a", "b") and first[1] == ("c", False)
    seen = {load_scripts.draw(script, random.Random(seed)).messages[0][0] for seed in range(50)}
    assert seen == {"a", "b"}


def _all(conversation: load_scripts.Conversation, replies: Sequence[str]) -> List[str]:
    sent, replies = [], list(replies)
    while (text := conversation.next_message()) is not None:
        sent.append(text)
        conversation.observe(replies.pop(0) if replies else "")
    return sent


def test_form_answers_are_skipped_once_the_script_is_done() -> None:
    script = next(s for s in load_scripts.COLIBRI_SCRIPTS if s.name == "return_step_by_step")
    full = _all(load_scripts.draw(script, random.Random(3)), [])
    assert len(full) == len(script.turns)
    # an earlier customer registered the return: the number comes right after the e-mail
    short = _all(load_scripts.draw(script, random.Random(3)),
                 ["Quelle commande ?", "Votre e-mail ?", "Ce retour existe déjà : RET-100003."])
    form_answers = sum(t.form_answer for t in script.turns)
    assert form_answers == 3 and len(short) == len(full) - form_answers
    assert short[:3] == full[:3] and short[3:] == full[3 + form_answers:]


def test_pick_follows_the_weights() -> None:
    scripts = (load_scripts.Script("heavy", "faq", (), weight=9), load_scripts.Script("light", "faq", ()))
    rng = random.Random(0)
    heavy = sum(load_scripts.pick(scripts, rng).name == "heavy" for _ in range(2000))
    assert 1650 < heavy < 1950


def test_think_times_average_the_interval() -> None:
    pauses = load_scripts.think_times(2.0, random.Random(7))
    values = [next(pauses) for _ in range(5000)]
    assert min(values) >= 0 and 1.9 < sum(values) / len(values) < 2.1
    assert next(load_scripts.think_times(0, random.Random(7))) == 0.0


def test_sender_ids_are_unique_per_run_phase_customer_and_conversation() -> None:
    ids = {load_scripts.sender_id("r1", phase, c, n) for phase in ("one-main", "one-rate0")
           for c in range(30) for n in range(10)}
    assert len(ids) == 600 and all(len(i) <= 255 for i in ids)


# --------------------------------------------------------------------------- replies


def test_classify_tells_answers_from_errors_and_apologies() -> None:
    template = "Je n'arrive pas à joindre {carrier} pour le suivi en direct."
    apologies = [load_targets.template_pattern(template)]
    assert load.classify(200, [{"text": "Votre colis arrive demain."}], apologies) is None
    assert load.classify(200, [], apologies) == "no reply"
    assert load.classify(502, "Bad Gateway", apologies) == "http 502"
    assert load.classify(200, {"oops": 1}, apologies).startswith("bad reply")
    error = load.classify(200, [{"text": "Je n'arrive pas à joindre Colissimo pour le suivi en direct."}],
                          apologies)
    assert error is not None and error.startswith("apology: ")
    assert load.classify(200, [{"image": "https://i.imgur.com/x.jpg"}], apologies) is None


def test_apology_patterns_come_from_the_domain_and_the_failsafe() -> None:
    patterns = load_targets.apology_patterns()
    from channels.failsafe import APOLOGIES

    assert all(any(p.fullmatch(text) for p in patterns) for text in APOLOGIES)
    domain = load_targets.ROOT / "domain.yml"
    assert "utter_actions_unavailable" in domain.read_text(encoding="utf-8")
    assert len(patterns) >= len(APOLOGIES) + len(load_targets.APOLOGY_RESPONSES)
    assert not any(p.fullmatch("Bonjour ! Je suis Colibri.") for p in patterns)


# --------------------------------------------------------------------------- the tracker store check


def _turn(text: str, actions: Sequence[str] = ("utter_x",), answered: bool = True) -> List[Event]:
    events: List[Event] = [UserUttered(text, intent={"name": "inform", "confidence": 1.0})]
    for name in actions:
        events.append(ActionExecuted(name))
        if answered:
            events.append(BotUttered(f"réponse à {text}"))
    events.append(ActionExecuted("action_listen"))
    return events


def _conversation(*turns: List[Event]) -> List[Event]:
    events: List[Event] = [ActionExecuted("action_session_start"), SessionStarted(),
                           ActionExecuted("action_listen")]
    for t in turns:
        events.extend(t)
    return events


@pytest.fixture
def tracker_store(tmp_path: Path):
    """A SQLite tracker store as Rasa writes it, with a few conversations; its engine."""
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    conversations = {
        "complete": _conversation(
            _turn("bonjour", ["utter_greet"]), _turn("CO100001", ["order_tracking_form"]),
            _turn("camille.martin@example.fr", ["order_tracking_form", "action_track_order"]),
            _turn("oui", ["action_record_rating"]), _turn("oui", ["utter_x"])),
        "lost": _conversation(_turn("bonjour"), _turn("merci")),
        "reordered": _conversation(_turn("b"), _turn("a")),
        "unanswered": _conversation(_turn("bonjour"), _turn("merci", answered=False)),
        "doubled": _conversation(_turn("bonjour"), _turn("bonjour"), _turn("merci")),
        "timeout_absent": _conversation(_turn("a"), _turn("c")),
        "timeout_present": _conversation(_turn("a"), _turn("b"), _turn("c")),
        # A message Rasa took back (two-stage fallback, form) and recorded again: told once.
        "rewound": _conversation(_turn("bonjour"), _turn("CO100001", ["x"], answered=False)[:-1],
                                 [UserUtteranceReverted()], _turn("CO100001", ["order_tracking_form"])),
    }

    async def save() -> None:
        for sender, events in conversations.items():
            await store.save(DialogueStateTracker.from_events(sender, events))

    asyncio.run(save())
    engine = create_engine(f"sqlite:///{path}", future=True)
    yield engine
    engine.dispose()


SENT = {
    "complete": [("bonjour", True), ("CO100001", True), ("camille.martin@example.fr", True), ("oui", True),
                 ("oui", True)],
    "lost": [("bonjour", True), ("c'est la CO100001", True), ("merci", True)],
    "reordered": [("a", True), ("b", True)],
    "unanswered": [("bonjour", True), ("merci", True)],
    "doubled": [("bonjour", True), ("merci", True)],
    "timeout_absent": [("a", True), ("b", False), ("c", True)],
    "timeout_present": [("a", True), ("b", False), ("c", True)],
    "never_stored": [("allo ?", True)],
    "rewound": [("bonjour", True), ("CO100001", True)],
}


def test_check_store_finds_every_kind_of_fault(tracker_store) -> None:
    result = load_check.check_store(tracker_store, SENT)
    by_sender = {c.sender: c for c in result.failed}
    assert set(by_sender) == {"lost", "reordered", "unanswered", "doubled", "never_stored"}
    assert by_sender["lost"].lost == 1 and not by_sender["lost"].reordered
    assert by_sender["reordered"].reordered and by_sender["reordered"].lost == 0
    assert by_sender["unanswered"].unanswered == 1
    assert by_sender["doubled"].unexpected == 1 and not by_sender["doubled"].reordered
    assert by_sender["never_stored"].lost == 1 and by_sender["never_stored"].stored == 0
    assert result.conversations == len(SENT)
    assert (result.lost, result.unexpected, result.reordered, result.unanswered) == (2, 1, 1, 1)
    assert not result.ok
    report = result.as_dict()
    assert report["lost"] == 2 and report["reordered_conversations"] == 1 and not report["ok"]


def test_check_store_passes_a_complete_run_and_maps_the_actions(tracker_store) -> None:
    sent = {k: SENT[k] for k in ("complete", "timeout_absent", "timeout_present", "rewound")}
    result = load_check.check_store(tracker_store, sent)
    assert result.ok and result.failed == [] and result.messages_stored == 5 + 2 + 3 + 2
    assert result.actions[("complete", 2)] == ("order_tracking_form", "action_track_order")
    assert result.actions[("complete", 0)] == ("utter_greet",)
    assert result.actions[("timeout_absent", 2)] == ("utter_x",)  # "b" never reached the store
    assert ("timeout_absent", 1) not in result.actions
    assert result.actions[("timeout_present", 1)] == ("utter_x",)
    db = {k for k, actions in result.actions.items() if set(actions) & load_scripts.DB_ACTIONS}
    assert db == {("complete", 1), ("complete", 2), ("complete", 3), ("rewound", 1)}


def test_stored_turns_reads_replies_and_actions_between_user_messages() -> None:
    events = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"},
              {"event": "user", "text": " bonjour "}, {"event": "action", "name": "utter_greet"},
              {"event": "bot", "text": "Bonjour !"}, {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "merci"}, {"event": "action", "name": "action_thank"}]
    assert load_check.stored_turns(events) == [
        load_check.StoredTurn("bonjour", True, ("utter_greet",)),
        load_check.StoredTurn("merci", False, ("action_thank",))]
