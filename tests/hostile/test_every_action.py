"""Every action and form validator of ``actions/``, fed hostile turns (hypothesis).

A turn is what Rasa sends the action server: the latest message (any text: empty, 100 kB,
NUL bytes, right-to-left overrides, SQL, HTML, format strings, JSON, forged payloads),
its intent and entities (any JSON as values), the slots (any JSON in the slots a customer
fills through entities or text, hostile text in the others), the form running, the history,
the conversation id. For each, the action must:

- not raise, and answer within a few seconds;
- send only messages a customer can read (``harness.unreadable``) and set only slot values
  that fit the domain (``harness.bad_slots``);
- leave the shop's database as it was, except the tables it exists to write (``harness.WRITES``),
  and there only valid rows (``harness.bad_rows``), for the verified order only;
- never mark an order as verified unless the e-mail given is its customer's.

Run on SQLite and PostgreSQL (``conftest.hostile_world``); ``harness.judge`` says what is wrong.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict

import pytest
from hostile import harness
from hostile.payloads import examples, hostile_texts, json_values, real_values, sender_ids
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from actions import addresses, returns
from actions.callbacks import SLOT_LABELS
from actions.satisfaction import RESOLVING_ACTIONS
from actions.survey_models import REQUESTS

ORDERS = [f"CO10000{n}" for n in range(1, 9)]
# Examples per action and database (41 actions x 2 databases, ~25 s in all); HOSTILE_EXAMPLES=500
# searches deeper.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES") or 12)


def _plausible(slot: str) -> st.SearchStrategy[Any]:
    """Values the actions themselves put in a slot a customer cannot fill directly: the
    values they validate (hostile text included where a validator lets it through), or
    nothing. A form's validator also gets the raw candidates (``turns``: ``set_now``)."""
    right = {
        "verified_order": st.sampled_from(ORDERS),
        "failed_checks": st.sampled_from([0.0, 1.0, 2.0, 3.0, 7.0]),
        "confusion_count": st.sampled_from([0.0, 1.0, 2.0, 5.0]),
        "order_status": st.sampled_from(harness.DOMAIN["slots"]["order_status"]["values"]),
        "awaiting_confirmation": st.sampled_from(harness.DOMAIN["slots"]["awaiting_confirmation"]["values"]),
        "return_item": st.sampled_from(["1", "2", "3", "8", "?"]),
        "return_reason": st.sampled_from([*returns.REASONS, "?"]),
        "parcel_opened": st.booleans(), "item_intact": st.booleans(),
        "new_street": st.just("3 allée des Roses") | hostile_texts(120).filter(addresses.valid_street),
        "new_postcode": st.sampled_from(["69003", "75001"]),
        "new_city": st.sampled_from(["Lyon", "Saint-Étienne"])
        | hostile_texts(60).filter(addresses.valid_city),
        "account_email": st.sampled_from(["camille.martin@example.fr", "inconnu@example.fr"]),
        "callback_slot": st.sampled_from(sorted(SLOT_LABELS)),
        "reply_email": st.just("camille.martin@example.fr"),
        "question": st.just("Puis-je payer en trois fois ?") | hostile_texts().map(
            lambda text: " ".join(text.split())).filter(lambda text: 5 <= len(text) <= 2000),
        "satisfaction_request": st.sampled_from(REQUESTS),
    }.get(slot, st.nothing())
    return st.none() | right


def raw_candidate(slot: str) -> st.SearchStrategy[Any]:
    """What a form's extraction may hand its validator: any JSON for a slot a customer fills,
    hostile text (or the right value) for the others."""
    if slot in harness.USER_SLOTS:
        return ANY_VALUE
    return _plausible(slot) | hostile_texts(300)


ANY_VALUE = st.one_of(real_values(), json_values())  # what a customer's payload may carry


def slot_value(slot: str) -> st.SearchStrategy[Any]:
    if slot in harness.USER_SLOTS:
        return st.none() | ANY_VALUE
    if slot == "requested_slot":
        return st.none() | st.sampled_from(sorted({s for slots in harness.FORMS.values() for s in slots}))
    return _plausible(slot)


ALL_SLOTS = [*harness.DOMAIN["slots"], "requested_slot"]
SLOTS = st.fixed_dictionaries({}, optional={s: slot_value(s) for s in ALL_SLOTS})
CANDIDATES = {form: st.fixed_dictionaries({}, optional={s: raw_candidate(s) for s in slots})
              for form, slots in harness.FORMS.items()}
ASKED = {form: st.none() | st.sampled_from(slots) for form, slots in harness.FORMS.items()}

entities = st.lists(st.fixed_dictionaries(
    {"entity": st.sampled_from([*harness.ENTITIES, "verified_order", "failed_checks", "x"]),
     "value": ANY_VALUE},
    optional={"start": st.integers(-5, 10**6), "end": st.integers(-5, 10**6),
              "extractor": st.sampled_from(["RegexEntityExtractor", "DIETClassifier", None])},
), max_size=4)

intents = st.one_of(st.sampled_from([*harness.INTENTS, "nlu_fallback"]), st.none(), st.text(max_size=20))


def history_event(sender_text: st.SearchStrategy[str]) -> st.SearchStrategy[Dict[str, Any]]:
    return st.one_of(
        st.builds(lambda text, intent: harness.user_event(text, intent, [], "rest", 1.0e9),
                  sender_text, intents),
        st.builds(lambda text, name: {"event": "bot", "text": text, "timestamp": 1.0e9,
                                      "metadata": {"advisor": name} if name else {}},
                  sender_text, st.none() | hostile_texts(30)),
        st.builds(lambda name: {"event": "action", "name": name, "timestamp": 1.0e9},
                  st.sampled_from([*RESOLVING_ACTIONS, "action_listen", "action_session_start"])),
        st.builds(lambda value: {"event": "slot", "name": "satisfaction_request", "value": value,
                                 "timestamp": 1.0e9}, st.none() | st.sampled_from(REQUESTS)),
        st.just({"event": "session_started", "timestamp": 1.0e9}),
    )


# Actions run right after their form completed (``harness.AFTER_FORM``): validated values.
AFTER_FORM = {
    "action_confirm_callback": {"phone_number": st.sampled_from(["06 12 34 56 78", "01 23 45 67 89"]),
                                "callback_slot": st.sampled_from(sorted(SLOT_LABELS))},
    "action_create_email_ticket": {"reply_email": st.sampled_from(["camille.martin@example.fr", "x@y.fr"]),
                                   "question": _plausible("question").filter(bool)},
}
assert AFTER_FORM.keys() == harness.AFTER_FORM.keys()
AFTER_FORM_SLOTS = {action: st.fixed_dictionaries(slots) for action, slots in AFTER_FORM.items()}
HISTORY = st.lists(history_event(hostile_texts(300)), max_size=4)
LOOPS = st.none() | st.sampled_from(sorted(harness.FORMS))
TEXTS = st.none() | hostile_texts()
CHANNELS = st.sampled_from(["rest", "socketio", "facebook", "", "x" * 300])


@st.composite
def payloads(draw: st.DrawFn) -> tuple:
    """A payload the customer types (« /intent{"entity": value} ») and what Rasa's
    RegexMessageHandler makes of it: a domain intent, domain entities, lists spread out."""
    intent = draw(st.sampled_from(harness.INTENTS))
    values = ANY_VALUE | st.lists(ANY_VALUE, max_size=3)
    found = draw(st.dictionaries(st.sampled_from(harness.ENTITIES), values, max_size=3))
    text = f"/{intent}{json.dumps(found)}" if found else f"/{intent}"
    spread = [{"entity": name, "value": value, "extractor": "RegexMessageHandler"}
              for name, value_or_list in found.items()
              for value in (value_or_list if isinstance(value_or_list, list) else [value_or_list])]
    return text, intent, spread


@st.composite
def turns(draw: st.DrawFn, action: str) -> Dict[str, Any]:
    """One hostile turn for ``action``: a payload, or anything typed with any parse."""
    form = harness.form_of(action)
    slots = draw(SLOTS)
    if action in AFTER_FORM_SLOTS:
        slots.update(draw(AFTER_FORM_SLOTS[action]))
    set_now: Dict[str, Any] = {}
    if form:  # a validator: the form's slots extracted from this message
        slots["requested_slot"] = draw(ASKED[form])
        set_now = draw(CANDIDATES[form])
    if draw(st.booleans()):
        text, intent, found = draw(payloads())
    else:
        text, intent, found = draw(TEXTS), draw(intents), draw(entities)
    return {
        "text": text,
        "intent": intent,
        "entities": found,
        "slots": slots,
        "set_now": set_now,
        "active_loop": form or draw(LOOPS),
        "history": draw(HISTORY),
        "sender": draw(sender_ids()),
        "channel": draw(CHANNELS),
    }


def test_every_action_of_the_domain_is_fuzzed():
    assert sorted(harness.DOMAIN["actions"]) == harness.ACTIONS


@pytest.mark.parametrize("action", harness.ACTIONS)
def test_hostile_turns_neither_crash_nor_leak_nor_write_garbage(shop: Engine, action: str):
    @examples(EXAMPLES)
    @given(turn=turns(action))
    def check(turn: Dict[str, Any]) -> None:
        problems, _ = harness.judge(shop, action, turn)
        assert not problems, "\n".join(problems)

    check()
