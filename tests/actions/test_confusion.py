"""Not understood, out of scope, upset: what Colibri says and when it offers an advisor."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher
from tracker_helpers import make_tracker, responses, run

from actions.confusion import (
    ActionAskAffirmation,
    ActionDefaultFallback,
    ActionOfferAdvisor,
    ActionOutOfScope,
    likely_requests,
)


def ranked(*names_and_scores) -> list:
    return [{"name": name, "confidence": score} for name, score in names_and_scores]


def tracker_with(ranking: list, **kwargs):
    tracker = make_tracker(text="jvoudré kelke chose pr ma cmd", intent="nlu_fallback", **kwargs)
    tracker.latest_message["intent_ranking"] = ranking
    return tracker


def test_the_two_best_guesses_are_offered_in_french():
    tracker = tracker_with(ranked(("nlu_fallback", 0.55), ("track_order", 0.4), ("inform", 0.3),
                                  ("return_item", 0.2), ("cancel_order", 0.1)))
    _, [message] = asyncio.run(run(ActionAskAffirmation(), tracker))
    assert message["response"] == "utter_ask_affirmation"
    titles = [b["title"] for b in message["buttons"]]
    assert titles == ["Suivre une commande", "Retourner un article", "Autre chose"]
    assert [b["payload"] for b in message["buttons"]] == ["/track_order", "/return_item", "/out_of_scope"]


def test_a_general_question_is_offered_by_its_topic():
    tracker = tracker_with(ranked(("faq", 0.5), ("track_order", 0.3)))
    tracker.latest_message["response_selector"] = {
        "faq": {"response": {"intent_response_key": "faq/delivery_cost"}}}
    assert [b["title"] for b in likely_requests(tracker)] == ["Les frais de livraison", "Suivre une commande"]


def test_nothing_worth_offering_asks_to_rephrase():
    _, [message] = asyncio.run(run(ActionAskAffirmation(), tracker_with(ranked(("greet", 0.3)))))
    assert message["response"] == "utter_ask_rephrase"


def test_first_miss_explains_and_second_offers_an_advisor():
    slots, messages = asyncio.run(run(ActionDefaultFallback(), make_tracker(text="xqzw")))
    assert responses(messages) == ["utter_default"]
    assert slots["confusion_count"] == 1 and slots["awaiting_confirmation"] is None
    slots, messages = asyncio.run(run(ActionOutOfScope(), make_tracker(
        text="quel temps fait-il ?", intent="out_of_scope", slots={"confusion_count": 1.0})))
    assert responses(messages) == ["utter_out_of_scope", "utter_offer_advisor_confused"]
    assert slots["awaiting_confirmation"] == "advisor"


def test_fallback_forgets_the_message_it_did_not_understand():
    events = asyncio.run(ActionDefaultFallback().run(CollectingDispatcher(), make_tracker(text="xqzw"), {}))
    assert events[0]["event"] == "rewind"  # UserUtteranceReverted: the message is not kept


def test_upset_customer_is_offered_an_advisor_at_once():
    tracker = make_tracker(text="C'EST INADMISSIBLE", intent="complain")
    slots, messages = asyncio.run(run(ActionOfferAdvisor(), tracker))
    assert responses(messages) == ["utter_sorry_offer_advisor"]
    assert slots["awaiting_confirmation"] == "advisor"


def test_upset_customer_in_a_form_keeps_the_form_and_a_way_out():
    slots, messages = asyncio.run(run(ActionOfferAdvisor(), make_tracker(
        text="vous êtes nuls", intent="complain", active_loop="return_form")))
    assert responses(messages) == ["utter_sorry_in_form"]
    assert slots["awaiting_confirmation"] is None
