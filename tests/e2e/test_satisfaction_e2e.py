"""The satisfaction survey through the real servers: asked after a resolved request, answered
with a click or typed, an optional comment, an advisor offered after a low rating, once per
conversation. Ratings are read back from the shop's database, as the KPI report reads them."""

from __future__ import annotations

import pytest
from chat_helpers import said
from sqlalchemy import func, select

from actions.survey_models import SatisfactionRating

pytestmark = pytest.mark.e2e


def rating_of(assistant, sender: str) -> SatisfactionRating | None:
    """The conversation's rating as stored, or None."""
    of_sender = select(SatisfactionRating).where(SatisfactionRating.conversation_id == sender)
    if not assistant.shop(select(func.count()).select_from(of_sender.subquery())):
        return None
    return assistant.shop(of_sender.order_by(SatisfactionRating.id.desc()).limit(1))


def buttons(messages: list) -> list:
    return [b["title"] for m in messages for b in m.get("buttons", [])]


def asks_rating(messages: list) -> bool:
    """The survey's question: five buttons « 1 ⭐ » … « 5 ⭐ »."""
    return [title[0] for title in buttons(messages)[-5:]] == ["1", "2", "3", "4", "5"]


def test_faq_thanks_rating_and_comment(assistant):
    say = assistant.conversation()
    assert "livraison" in said(say("c'est combien la livraison ?")).lower()
    assert asks_rating(say("merci beaucoup"))
    invited = say("4/5")
    assert buttons(invited) == ["Ajouter un commentaire", "Non merci"]
    assert "commentaire" in said(say("/affirm"))
    assert "merci" in said(say("Réponse claire, mais j'aurais aimé le délai exact.")).lower()
    row = rating_of(assistant, say.sender)
    assert (row.rating, row.request, row.channel, row.comment) == (
        4, "faq", "rest", "Réponse claire, mais j'aurais aimé le délai exact.")

    # Once per conversation: another answer and another « merci » do not ask again.
    say("vous acceptez paypal ?")
    assert not asks_rating(say("merci"))
    assert assistant.shop(select(func.count()).select_from(SatisfactionRating)
                          .where(SatisfactionRating.conversation_id == say.sender)) == 1


def test_order_tracked_then_stars_typed(assistant):
    say = assistant.conversation()
    answer = say("ou en est ma commande CO100001 camille.martin@example.fr")
    assert "CO100001" in said(answer) and asks_rating(answer)
    assert "Ajouter un commentaire" in buttons(say("⭐⭐⭐⭐"))
    closing = said(say("non merci"))
    assert "merci encore" in closing or "Pas de souci" in closing
    row = rating_of(assistant, say.sender)
    assert (row.rating, row.request, row.comment) == (4, "order_tracking", None)


def test_a_low_rating_with_words_offers_an_advisor(assistant):
    assistant.advisors_hours(open=True)
    say = assistant.conversation()
    say("quels moyens de paiement acceptez-vous ?")
    say("merci")
    offer = say("2 étoiles, réponse pas claire")
    assert "conseiller" in said(offer) and "Oui, un conseiller" in buttons(offer)
    row = rating_of(assistant, say.sender)
    assert (row.rating, row.comment) == (2, "réponse pas claire")
    say("non")  # declining is fine: Colibri stays, nobody is queued
    assert not assistant.tracker(say.sender)["paused"]
    desk = assistant.desk("karim").get(f"{assistant.desk_url}/desk/api/queue", timeout=10).json()
    assert all(h["conversation_id"] != say.sender for h in desk["waiting"])


def test_a_bare_digit_answers_the_survey(assistant):
    say = assistant.conversation()
    assert asks_rating(say("ou en est ma commande CO100003 camille.martin@example.fr"))
    assert "Ajouter un commentaire" in buttons(say("5"))
    assert (rating_of(assistant, say.sender).rating, rating_of(assistant, say.sender).request) == (
        5, "order_tracking")


def test_ignoring_the_survey_is_fine(assistant):
    say = assistant.conversation()
    assert asks_rating(say("ou en est ma commande CO100003 camille.martin@example.fr"))
    # The customer goes on with something else: handled as usual, nothing stored.
    other = say("et ma commande CO100001 ? camille.martin@example.fr")
    assert "CO100001" in said(other) and not asks_rating(other)
    assert rating_of(assistant, say.sender) is None
