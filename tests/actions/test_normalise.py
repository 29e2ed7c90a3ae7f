"""What customers type becomes the contract's formats; anything else is refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from actions import normalise, wording
from nlu_components.french_tokenizer import fold


@pytest.mark.parametrize("typed", [
    "CO100001", "co100001", "CO-100001", "co 100001", "Co_100001", "commande 100001",
    "cmd n°100001", "c'est la co-100001 svp", "100001",
])
def test_order_numbers(typed):
    assert normalise.order_id(typed) == "CO100001"


@pytest.mark.parametrize("typed", [
    "", "   ", None, 42, "CO12345", "CO1000011", "6A10000000001", "CO100001 et CO100002",
    "0612345678", "co-１００００１", "x" * 600,
])
def test_not_order_numbers(typed):
    assert normalise.order_id(typed) is None


@pytest.mark.parametrize(("typed", "expected"), [
    ("Camille.Martin@Example.FR", "camille.martin@example.fr"),
    ("mon mail c'est jean-pierre.dupont@gmail.com.", "jean-pierre.dupont@gmail.com"),
])
def test_emails(typed, expected):
    assert normalise.email(typed) == expected


@pytest.mark.parametrize("typed", ["camille", "a@b", "a..b@example.fr", "a@b.fr c@d.fr", "@example.fr"])
def test_not_emails(typed):
    assert normalise.email(typed) is None


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78",
                                   "+33 (0)6 12 34 56 78", "06.12.34.56.78", "0033612345678"])
def test_phone_numbers(typed):
    assert normalise.phone_number(typed) == "06 12 34 56 78"


@pytest.mark.parametrize(("typed", "expected"), [
    ("6a10000000001", "6A10000000001"), ("6A 1000 0000 001", "6A10000000001"),
    ("CO100001", None), ("6A1000000000", None),
])
def test_tracking_numbers(typed, expected):
    assert normalise.tracking_number(typed) == expected


def test_french_days_and_amounts():
    today = date(2026, 11, 23)  # a Monday
    assert wording.day(today, today) == "aujourd'hui"
    assert wording.day(today + timedelta(days=1), today) == "demain"
    assert wording.day(today - timedelta(days=1), today) == "hier"
    assert wording.day(date(2026, 11, 25), today) == "le mercredi 25 novembre"
    assert wording.day(date(2026, 12, 1), today) == "le mardi 1er décembre"
    assert wording.day(date(2027, 1, 4), today) == "le lundi 4 janvier 2027"
    assert wording.euros(Decimal("89.9")) == "89,90 €"
    assert wording.items(["robe", "pull", "jean"]) == "robe, pull et jean"


def test_carrier_times_are_shown_in_paris_time():
    moment = datetime(2026, 11, 22, 13, 5, tzinfo=timezone.utc)
    assert wording.day_and_time(moment, date(2026, 11, 23)) == "hier à 14 h 05"


def test_accent_folding():
    assert fold("Où") == "ou"
    assert fold("REÇU") == "recu"
    assert fold("cœur") == "coeur"


@pytest.mark.parametrize("typed, reason", [
    ("la taille ne va pas", "wrong_size"),
    ("trop petit", "wrong_size"),
    ("il est arrivé abîmé", "damaged"),
    ("Il ne fonctionne pas", "damaged"),
    ("écran cassé", "damaged"),
    ("pas conforme à la photo", "not_as_described"),
    ("j'ai changé d'avis", "changed_mind"),
    ("ça ne me plaît pas finalement", "changed_mind"),
    ("ce n'est pas l'article que j'ai commandé", "wrong_item"),
    ("on m a envoyé le mauvais article", "wrong_item"),
    ("il n'est pas abîmé mais il est trop grand", "wrong_size"),
    ("oui", None),
    ("", None),
    (None, None),
    ("abîmé " * 200, None),  # too long to be an answer
])
def test_return_reason(typed, reason):
    assert normalise.return_reason(typed) == reason
