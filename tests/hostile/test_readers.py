"""The functions that read what customers type, fed anything (hypothesis) and the corpus.

``normalise`` (order, return, tracking and phone numbers, e-mails, return reasons),
``addresses.read``, the satisfaction rating and the callback slot: they never raise, only
return values in the contract's formats (or ``None``), and stay fast on 100 kB of text
(no regex backtracking).
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

import pytest
from hostile.payloads import CORPUS_FILE, SECTIONS, corpus, examples, hostile_texts, json_values, values_of
from hypothesis import given
from hypothesis import strategies as st

from actions import addresses, normalise, returns
from actions.callbacks import SLOT_LABELS, callback_slot
from actions.satisfaction import MAX_COMMENT, comment_beside, parse_rating

FORMATS: dict[str, Callable[[Any], bool]] = {
    "order_id": lambda v: re.fullmatch(r"CO\d{6}", v) is not None,
    "return_number": lambda v: re.fullmatch(r"RET-\d{6}", v) is not None,
    "tracking_number": lambda v: re.fullmatch(r"[0-9A-Z]{2}\d{11}", v) is not None,
    "phone_number": lambda v: re.fullmatch(r"0[1-9]( \d\d){4}", v) is not None,
    "email": lambda v: re.fullmatch(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}", v) is not None
    and len(v) <= 254,
    "return_reason": lambda v: v in returns.REASONS,
}
CORPUS_VALUES = values_of("texts", "generated", "values")
ANYTHING = st.one_of(json_values(), hostile_texts(), st.sampled_from(CORPUS_VALUES))
MAX_SECONDS = 1.0


def timed(function: Callable[[Any], Any], value: Any) -> Any:
    started = time.monotonic()
    result = function(value)
    assert time.monotonic() - started < MAX_SECONDS, f"{function.__name__} took too long on {value!r:.80}"
    return result


def test_the_corpus_is_well_formed():
    loaded = corpus()
    assert set(loaded) == set(SECTIONS), CORPUS_FILE
    names = [entry["name"] for section in SECTIONS for entry in loaded[section]]
    assert len(names) == len(set(names)), "every name once"
    for section in SECTIONS:
        for entry in loaded[section]:
            assert isinstance(entry.get("why"), str) and "\n" not in entry["why"].strip(), entry["name"]
            given_as = ("value", "json", "raw", "raw_bytes", "nesting", "query")
            assert any(key in entry for key in given_as), entry
    assert all(p["value"].startswith("/") for p in loaded["payloads"])


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_normalisers_return_the_contract_format_or_none(name):
    function = getattr(normalise, name)

    @examples(300)
    @given(value=ANYTHING)
    def check(value: Any) -> None:
        result = timed(function, value)
        assert result is None or FORMATS[name](result), f"{name}({value!r:.80}) = {result!r}"

    check()
    for value in values_of("texts", "generated", "values", "payloads"):
        result = timed(function, value)
        assert result is None or FORMATS[name](result), f"{name}({value!r:.80}) = {result!r}"


def test_lookalike_order_numbers_are_not_order_numbers():
    for typed in ("ＣＯ１０００００１", "CO١٠٠٠٠١", "CO1000011111111111", "CO100001 et CO100002"):
        assert normalise.order_id(typed) is None, typed
    assert normalise.order_id("CO\u200b100001") in (None, "CO100001")  # never another order


@examples(300)
@given(value=ANYTHING, asked=st.none() | st.sampled_from(addresses.PARTS))
def test_addresses_are_read_as_valid_parts_or_not_at_all(value, asked):
    found = timed(lambda v: addresses.read(v, asked=asked), value)
    assert set(found) <= set(addresses.PARTS)
    for part, text in found.items():
        assert isinstance(text, str) and 0 < len(text) <= addresses.MAX_TEXT, (part, text)
    if "new_postcode" in found:
        assert re.fullmatch(r"\d{5}", found["new_postcode"])


@examples(300)
@given(value=ANYTHING.filter(lambda v: isinstance(v, str)) | st.sampled_from(values_of("texts", "generated")))
def test_ratings_and_comments_stay_in_bounds(value):
    rating = timed(parse_rating, value)
    assert rating is None or (isinstance(rating, int) and 1 <= rating <= 5)
    comment = timed(comment_beside, value)
    assert comment is None or 0 < len(comment) <= MAX_COMMENT
    assert timed(callback_slot, value) in (None, *SLOT_LABELS)
