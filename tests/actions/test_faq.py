"""The knowledge base: answers chosen by the ResponseSelector, values from knowledge/policies.yml."""

from __future__ import annotations

import asyncio
import re
import string
from datetime import date, timedelta

import pytest
from tracker_helpers import DOMAIN, ROOT, make_tracker, responses, run

from actions import policies, returns
from actions.faq import ActionAnswerFaq

SUB_INTENTS = ("delivery_time", "delivery_cost", "payment_methods", "return_policy", "opening_hours",
               "contact", "warranty", "international_shipping", "order_modification", "gift_card",
               "size_guide", "data_privacy")  # fixed by ../shared/CONTRACT.md


def selector(key: str, confidence: float = 0.9) -> dict:
    return {"faq": {"response": {"intent_response_key": key, "confidence": confidence}}}


def answer(text: str, key: str | None, history=()):
    tracker = make_tracker(text=text, intent="faq", history=history)
    if key:
        tracker.latest_message["response_selector"] = selector(key)
    return asyncio.run(run(ActionAnswerFaq(), tracker))[1]


def rendered(message: dict) -> str:
    """The text the customer reads: the response's variation filled like Rasa does."""
    texts = [v["text"] for v in DOMAIN["responses"][message["response"]]]
    values = {k: v for k, v in message.items() if k not in ("response", "buttons")}
    return " | ".join(t.format(**values) for t in texts)


def test_every_sub_intent_of_the_contract_has_an_answer():
    assert {f"utter_faq/{name}" for name in SUB_INTENTS} <= set(DOMAIN["responses"])


@pytest.mark.parametrize("name", SUB_INTENTS)
def test_every_placeholder_of_every_answer_is_in_the_policies(name):
    values = policies.all_values()
    for variation in DOMAIN["responses"][f"utter_faq/{name}"]:
        fields = {f for _, f, _, _ in string.Formatter().parse(variation["text"]) if f}
        assert fields <= set(values), fields - set(values)


def test_the_selected_answer_gets_the_shops_values():
    [message] = answer("c'est combien la livraison ?", "faq/delivery_cost")
    assert message["response"] == "utter_faq/delivery_cost"
    assert "dès 50 € d'achat" in rendered(message)


def test_changing_one_line_of_the_policies_changes_the_answer(tmp_path, monkeypatch):
    text = (ROOT / "knowledge" / "policies.yml").read_text(encoding="utf-8")
    changed = re.sub(r'free_shipping_threshold: "[^"]*"', 'free_shipping_threshold: "35 €"', text)
    (tmp_path / "policies.yml").write_text(changed, encoding="utf-8")
    monkeypatch.setenv("SHOP_POLICIES", str(tmp_path / "policies.yml"))
    [message] = answer("livraison gratuite a partir de combien", "faq/delivery_cost")
    assert "dès 35 € d'achat" in rendered(message)


def test_return_policy_numbers_drive_the_returns_system_too():
    assert returns.return_window_days() == policies.number("return_window_days") == 30
    [message] = answer("vous acceptez les retours ?", "faq/return_policy")
    assert "30 jours" in rendered(message)


def test_a_changed_return_window_applies_to_returns_without_a_restart(tmp_path, monkeypatch):
    text = (ROOT / "knowledge" / "policies.yml").read_text(encoding="utf-8")
    (tmp_path / "policies.yml").write_text(re.sub(r"return_window_days: \d+", "return_window_days: 60", text),
                                           encoding="utf-8")
    delivered = date.today() - timedelta(days=45)
    assert returns.decide(delivered, "wrong_size") is returns.ReturnDecision.OUTSIDE_WINDOW
    monkeypatch.setenv("SHOP_POLICIES", str(tmp_path / "policies.yml"))
    assert returns.decide(delivered, "wrong_size") is returns.ReturnDecision.ALLOWED
    [message] = answer("vous acceptez les retours ?", "faq/return_policy")
    assert "60 jours" in rendered(message)


def test_a_clarified_question_is_answered_from_the_original_message():
    original = {"event": "user", "text": "et pour payer en plusieurs fois ?",
                "parse_data": {"intent": {"name": "nlu_fallback"},
                               "response_selector": selector("faq/payment_methods", 0.4)}}
    [message] = answer("/faq", None, history=[original])
    assert message["response"] == "utter_faq/payment_methods"


def test_no_answer_selected_says_so_and_offers_an_advisor():
    assert responses(answer("blabla", None)) == ["utter_faq_unknown"]


def test_a_broken_policies_file_gives_an_apology(tmp_path, monkeypatch):
    (tmp_path / "policies.yml").write_text("return_window_days: trente\nrefund_delay_days: 14\n",
                                           encoding="utf-8")
    monkeypatch.setenv("SHOP_POLICIES", str(tmp_path / "policies.yml"))
    with pytest.raises(policies.PolicyError):
        policies.all_values()
    assert responses(answer("délais ?", "faq/delivery_time")) == ["utter_service_error"]
