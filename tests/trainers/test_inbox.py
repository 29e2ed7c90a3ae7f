"""The inbox export against real Rasa SQL tracker stores (SQLite and PostgreSQL).

The stores are filled with Rasa's own ``SQLTrackerStore.save``; no model is needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from actions import db
from actions.seed import seed
from trainers import inbox, tracker_source
from trainers.readonly_db import InboxError, read_only_engine
from trainers.selection import Thresholds

THRESHOLDS = Thresholds(0.55, 0.1)
SECRETS = ("Camille", "Martin", "Lucas", "Bernard", "Emma", "camille.martin@example.fr", "12 34 56 78",
           "100002", "100004")
DAYS = 86400


def said(text: str, intent: str, confidence: float, second: str = "greet", fallback: bool = False,
         timestamp: float | None = None) -> UserUttered:
    """A customer message as the NLU saw it (with the FallbackClassifier's ranking)."""
    ranking = [{"name": intent, "confidence": confidence}, {"name": second, "confidence": 0.01}]
    top = {"name": intent, "confidence": confidence}
    if fallback:
        top = {"name": "nlu_fallback", "confidence": 0.55}
        ranking.insert(0, top)
    return UserUttered(text, intent=top, parse_data={"intent_ranking": ranking}, timestamp=timestamp)


def answered(response: str = "utter_default", timestamp: float | None = None) -> List[Event]:
    return [BotUttered("…", metadata={"utter_action": response}, timestamp=timestamp),
            ActionExecuted("action_listen", timestamp=timestamp)]


def start(timestamp: float | None = None) -> List[Event]:
    return [ActionExecuted("action_session_start", timestamp=timestamp), SessionStarted(timestamp=timestamp),
            ActionExecuted("action_listen", timestamp=timestamp)]


CONVERSATIONS: Dict[str, List[Event]] = {
    "first": [*start(), said("Bonjour je m'appelle Camille Martin zorglub", "greet", 0.3, fallback=True),
              *answered(), said("je veux un conseiller", "human_handoff", 0.99),
              ActionExecuted("action_handoff"), *answered("utter_handoff_queued")],
    "second": [*start(), said("bonjour  je m’appelle Lucas Bernard ZORGLUB", "greet", 0.2, fallback=True),
               *answered(), said("ma commande CO100002 et mon mail camille.martin@example.fr, 06 12 34 56 78",
                                 "inform", 0.97),
               *answered("utter_ask_email"), said("ce n'est pas ce que je demandais", "deny", 0.7)],
    "understood": [*start(), said("où est ma commande CO100001", "track_order", 0.98), *answered(),
                   said("camille.martin@example.fr", "inform", 0.99), *answered()],
    "old": [*start(time.time() - 10 * DAYS),
            said("quel temps fait-il à Lyon", "out_of_scope", 0.9, timestamp=time.time() - 10 * DAYS),
            *answered(timestamp=time.time() - 10 * DAYS)],
    "buttons": [*start(), said("/human_handoff", "human_handoff", 1.0), ActionExecuted("action_handoff")],
}


def fill(store: SQLTrackerStore) -> None:
    for sender, events in CONVERSATIONS.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    path = tmp_path / "tracker.db"
    fill(SQLTrackerStore(dialect="sqlite", db=str(path)))
    return f"sqlite:///{path}"


def check_export(path: Path) -> Dict[str, dict]:
    """Loads the file with Rasa's NLU loader: ``{text: {intent, entities, **metadata}}``."""
    content = path.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in content
    data = load_data(str(path))
    return {m.get("text"): {"intent": m.get("intent"),
                            "entities": [e["entity"] for e in m.get("entities", [])],
                            **m.get("metadata")["example"]} for m in data.training_examples}


def test_export_from_a_sqlite_tracker_store(sqlite_store: str, tmp_path: Path) -> None:
    out = tmp_path / "inbox" / "nlu_inbox.yml"
    summary = inbox.export(sqlite_store, out, thresholds=THRESHOLDS)
    assert (summary.conversations, summary.user_messages) == (5, 9)
    examples = check_export(out)
    assert examples == {
        "Bonjour je m'appelle Dominique Durand zorglub": {
            "intent": "greet", "entities": [], "reasons": ["fallback", "low_confidence", "handoff"],
            "predicted_intent": "nlu_fallback", "confidence": 0.2, "count": 2},
        "ma commande CO100000 et mon mail client@example.fr, 06 00 00 00 00": {
            "intent": "inform", "entities": ["order_id", "email", "phone_number"], "reasons": ["complaint"],
            "predicted_intent": "inform", "confidence": 0.97, "count": 1},
        "quel temps fait-il à Lyon": {
            "intent": "out_of_scope", "entities": [], "reasons": ["out_of_scope"],
            "predicted_intent": "out_of_scope", "confidence": 0.9, "count": 1},
    }
    written = out.read_text(encoding="utf-8")
    assert ("ma commande [CO100000](order_id) et mon mail [client@example.fr](email), "
            "[06 00 00 00 00](phone_number)") in written
    assert "# fallback, low_confidence, handoff 0.20 x2" in written
    assert summary.inbox.per_reason()["fallback"] == {"examples": 1, "messages": 2}


def test_since_keeps_only_recent_events(sqlite_store: str, tmp_path: Path) -> None:
    out = tmp_path / "recent.yml"
    summary = inbox.export(sqlite_store, out, since_days=2, thresholds=THRESHOLDS)
    assert summary.conversations == 4
    assert "quel temps" not in out.read_text(encoding="utf-8")


def test_the_tracker_store_is_only_read(sqlite_store: str, tmp_path: Path) -> None:
    path = Path(make_url(sqlite_store).database)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    inbox.export(sqlite_store, tmp_path / "out.yml", thresholds=THRESHOLDS)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    engine = read_only_engine(sqlite_store)
    with pytest.raises(OperationalError, match="readonly"), engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    engine.dispose()
    missing = tmp_path / "nothing.db"
    with pytest.raises(InboxError, match="no SQLite database"):
        inbox.export(f"sqlite:///{missing}", tmp_path / "out.yml")
    assert not missing.exists()


def test_a_database_without_events_is_a_clear_error(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    seed(engine)
    engine.dispose()
    with pytest.raises(InboxError, match="events"):
        inbox.export(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "out.yml")


def test_an_empty_store_gives_a_loadable_file(tmp_path: Path) -> None:
    SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "empty.db")).engine.dispose()
    out = tmp_path / "out.yml"
    summary = inbox.export(f"sqlite:///{tmp_path / 'empty.db'}", out, thresholds=THRESHOLDS)
    assert summary.conversations == 0
    assert load_data(str(out)).training_examples == []


def test_comments_after_examples_in_a_block_would_corrupt_the_data(tmp_path: Path) -> None:
    """Why the export puts its notes in metadata and on comment lines of their own."""
    path = tmp_path / "block.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: track_order\n  examples: |\n'
                    "    - ou est mon coli  # fallback 0.41 x3\n", encoding="utf-8")
    assert [m.get("text") for m in load_data(str(path)).training_examples] == \
        ["ou est mon coli  # fallback 0.41 x3"]


def test_command_line_masks_the_shop_customers_names(sqlite_store: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    shop = db.make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    seed(shop)
    shop.dispose()
    path = Path(make_url(sqlite_store).database)
    fill_more = SQLTrackerStore(dialect="sqlite", db=str(path))
    asyncio.run(fill_more.save(DialogueStateTracker.from_events("names", [
        *start(), said("emma petit voudrait un truc bizarre", "greet", 0.1, fallback=True), *answered()])))
    fill_more.engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    out = tmp_path / "cli.yml"
    assert inbox.main(["--tracker-url", sqlite_store, "--out", str(out), "--since", "30"]) == 0
    printed = capsys.readouterr().out
    assert "Read 6 conversation(s), 10 customer message(s)." in printed
    assert "fallback" in printed and "masked (3 customers)" in printed
    assert "Dominique Durand voudrait un truc bizarre" in check_export(out)


def test_command_line_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert inbox.main(["--tracker-url", missing, "--out", str(tmp_path / "o")]) == 1
    assert "no SQLite database" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        inbox.parse_args(["--since", "-1"])


def test_url_from_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = tmp_path / "endpoints.yml"

    def url(store: str) -> str:
        endpoints.write_text(f"tracker_store:\n{store}", encoding="utf-8")
        return tracker_source.url_from_endpoints(endpoints, root=tmp_path)

    assert url('  type: SQL\n  dialect: "sqlite"\n  db: "var/tracker.db"\n') == \
        f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_DB_PASSWORD", "s3cret")
    assert url("  type: sql\n  dialect: postgresql\n  host: db.local:5433\n  db: rasa\n"
               "  username: rasa\n  password: ${TRACKER_DB_PASSWORD}\n") == \
        "postgresql://rasa:s3cret@db.local:5433/rasa"
    assert url("  type: SQL\n  dialect: postgresql\n  url: x\n  host: postgresql://u@h/d\n") == \
        "postgresql://u@h/d"
    with pytest.raises(InboxError, match="not of type SQL"):
        url("  type: redis\n")
    with pytest.raises(InboxError, match="no "):
        tracker_source.url_from_endpoints(tmp_path / "missing.yml")


def test_tracker_url_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: "/data/t.db"\n',
                         encoding="utf-8")
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    assert tracker_source.resolve_url(None, endpoints) == "sqlite:////data/t.db"
    monkeypatch.setenv("TRACKER_STORE_URL", "sqlite:///env.db")
    assert tracker_source.resolve_url(None, endpoints) == "sqlite:///env.db"
    assert tracker_source.resolve_url("sqlite:///cli.db", endpoints) == "sqlite:///cli.db"


def test_project_endpoints_and_config() -> None:
    assert tracker_source.url_from_endpoints(tracker_source.ROOT / "endpoints.yml") == \
        f"sqlite:///{tracker_source.ROOT / 'var' / 'tracker.db'}"
    assert Thresholds.from_config(tracker_source.ROOT / "config.yml") == Thresholds(0.55, 0.1)


@pytest.mark.postgres
def test_export_from_a_postgresql_tracker_store(postgres_server: str, tmp_path: Path,
                                                sqlite_store: str) -> None:
    server = make_url(postgres_server)
    fill(SQLTrackerStore(dialect="postgresql", host=server.host, port=server.port, db=server.database,
                         username=server.username, password=server.password))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: SQL\n  dialect: postgresql\n  host: {server.host}\n"
                         f"  port: {server.port}\n  db: {server.database}\n  username: {server.username}\n",
                         encoding="utf-8")
    url = tracker_source.url_from_endpoints(endpoints)
    summary = inbox.export(url, tmp_path / "pg.yml", thresholds=THRESHOLDS)
    assert (summary.conversations, summary.user_messages) == (5, 9)
    inbox.export(sqlite_store, tmp_path / "sqlite.yml", thresholds=THRESHOLDS)
    assert check_export(tmp_path / "pg.yml") == check_export(tmp_path / "sqlite.yml")
    engine = read_only_engine(url)
    with pytest.raises(Exception, match="read-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    engine.dispose()
