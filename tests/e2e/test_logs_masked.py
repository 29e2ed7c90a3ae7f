"""The servers' logs, as production writes them, carry no customer's personal data."""

from __future__ import annotations

import pytest
from chat_helpers import said

pytestmark = pytest.mark.e2e


def test_a_conversation_with_an_email_a_phone_and_an_address_leaves_none_in_the_logs(assistant) -> None:
    say = assistant.conversation()
    say("je veux suivre ma commande CO100001")
    assert "CO100001" in said(say("camille.martin@example.fr"))
    say("rappelez moi au 06 12 34 56 78, j'habite 12 rue des Lilas 69003 Lyon")
    logs = {name: path.read_text(encoding="utf-8", errors="replace") for name, path in assistant.logs.items()
            if name in ("rasa", "actions")}
    assert all(logs.values()), "both servers wrote logs"
    for name, text in logs.items():
        for personal in ("camille.martin@example.fr", "06 12 34 56 78", "rue des Lilas"):
            assert personal not in text, f"{personal!r} in the {name} log"
