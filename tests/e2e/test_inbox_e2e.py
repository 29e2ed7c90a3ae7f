"""The trainers' inbox from real conversations: the Rasa server's own SQLite tracker store.

Customers talk to Colibri over REST; ``python -m trainers.inbox`` then exports what
Colibri missed. Checked: the missed messages are there, counted once deduplicated,
what was understood is not, nothing personal from the conversations is written,
and Rasa's NLU loader reads the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from trainers import inbox, shop_names
from trainers.masking import dedup_key

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("Camille", "camille", "Martin", "Lucas", "lucas", "Bernard", "bernard", "Emma", "emma", "Petit",
           "camille.martin@", "lucas.bernard@", "06 12 34 56 78", "0611223344", "100002", "100004",
           "6A10000000005")
SCHMILBLICK = "Dominique blip blop le schmilblick"  # as masked: « Camille … », « Lucas  BLIP … »
WEATHER = "quel temps fait-il à Lyon demain ?"


def talk(assistant, *messages: str) -> str:
    say = assistant.conversation()
    for message in messages:
        say(message)
    return say.sender


def loaded(path: Path) -> Dict[str, dict]:
    """``{dedup key: {text, intent, count, reasons}}`` as Rasa's NLU loader reads the file."""
    return {dedup_key(m.get("text")): {"text": m.get("text"), "intent": m.get("intent"),
                                       **m.get("metadata")["example"]}
            for m in load_data(str(path)).training_examples}


@pytest.fixture(scope="module")
def senders(assistant) -> List[str]:
    """Conversations with messages Colibri misses, and one it understands."""
    return [
        talk(assistant, "Camille blip blop le schmilblick", "je veux un conseiller"),
        talk(assistant, "Lucas  BLIP blop le Schmilblick", "je veux un conseiller"),
        talk(assistant, "quel temps fait-il à Lyon demain ?"),
        talk(assistant, "quel temps fait-il à  Lyon demain ?", "tu ne comprends rien"),
        talk(assistant, "bonjour je m'appelle Camille Martin, mon mail camille.martin@example.fr et mon tel "
                        "06 12 34 56 78, c'est pour le truc bidule de la CO100002",
             "ce n'est pas ce que je demandais"),
        talk(assistant, "c'est Lucas Bernard à l'appareil, le machin de la co-100004 fait un drôle de bruit "
                        "de flux quantique, rappelez moi au 0611223344 ou lucas.bernard@example.fr",
             "tu ne comprends rien"),
        talk(assistant, "emma petit ici, le colis 6A10000000005 chante la marseillaise",
             "tu ne comprends rien"),
        talk(assistant, "où est ma commande CO100001", "camille.martin@example.fr"),
    ]


def test_the_inbox_command_exports_what_was_missed_and_nothing_personal(assistant, senders, tmp_path):
    out = tmp_path / "nlu_inbox.yml"
    env = {**os.environ, "DATABASE_URL": assistant.shop_url, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    env.pop("TRACKER_STORE_URL", None)
    done = subprocess.run([sys.executable, "-m", "trainers.inbox", "--tracker-url", assistant.tracker_url,
                           "--out", str(out), "--since", "1"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "masked (3 customers)" in done.stdout and "fallback" in done.stdout
    content = out.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in content
    examples = loaded(out)
    assert dedup_key(SCHMILBLICK) in examples
    assert dedup_key(WEATHER) in examples
    assert "[client@example.fr](email)" in content and "[CO100000](order_id)" in content


def test_the_export_counts_duplicates_and_leaves_out_what_was_understood(assistant, senders, tmp_path):
    out = tmp_path / "mine.yml"
    summary = inbox.export(assistant.tracker_url, out, names=shop_names.load(assistant.shop_url),
                           senders=senders)
    assert summary.conversations == len(senders)
    examples = loaded(out)
    assert examples[dedup_key(SCHMILBLICK)]["count"] == 2
    assert "handoff" in examples[dedup_key(SCHMILBLICK)]["reasons"]
    weather = examples[dedup_key(WEATHER)]
    assert weather["count"] == 2 and "out_of_scope" in weather["reasons"]
    texts = "\n".join(e["text"] for e in examples.values())
    assert "je m'appelle Dominique Durand, mon mail client@example.fr et mon tel 06 00 00 00 00" in texts
    assert "c'est Dominique Durand à l'appareil, le machin de la co-100000" in texts
    assert "Dominique Durand ici, le colis 6A00000000000" in texts
    quantum = next(e for e in examples.values() if "flux quantique" in e["text"])
    assert "complaint" in quantum["reasons"]  # followed by « tu ne comprends rien »
    assert "où est ma commande" not in texts and "je veux un conseiller" not in texts
    assert "ce n'est pas ce que je demandais" not in texts
    assert "client@example.fr" not in texts.splitlines()  # it completed a well-understood request
    for secret in SECRETS:
        assert secret not in out.read_text(encoding="utf-8")
