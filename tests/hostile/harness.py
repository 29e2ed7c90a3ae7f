"""Runs Colibri's actions the way the action server does, and judges the outcome.

- ``call``: an action call as Rasa posts it to the action server (JSON, round-tripped),
  run by rasa-sdk's own ``ActionExecutor`` with every action of ``actions/`` registered.
- ``unreadable``: what is wrong with the messages a customer would read (Rasa's own
  interpolator fills every variation of each response): an unknown response, a
  placeholder left unfilled or filled with something that is not text (``None``, a
  list, a dict: Python's repr), a traceback, an endless echo.
- ``bad_slots``: slot values an action set that do not fit the domain's slot types.
- ``snapshot`` / ``changes``: every row of every table of the shop's database, before and
  after; ``bad_rows``: changed rows that are not valid data.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml
from rasa.core.nlg.interpolator import interpolate
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import select
from sqlalchemy.engine import Engine

import actions.account_models  # noqa: F401 - every table of the shop's database
import actions.desk_models  # noqa: F401
import actions.outreach_models  # noqa: F401
import actions.survey_models  # noqa: F401
from actions import addresses, normalise, returns
from actions.callbacks import SLOT_LABELS
from actions.models import Base
from actions.survey_models import REQUESTS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
SLOT_DEFAULTS = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
INTENTS = [i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]]
ENTITIES = [e if isinstance(e, str) else next(iter(e)) for e in DOMAIN["entities"]]
FORMS: Dict[str, List[str]] = {name: spec["required_slots"] for name, spec in DOMAIN["forms"].items()}
# Slots a customer fills through a payload's entities (``/inform{"order_id": [1, 2]}``) or
# the text: any JSON may land in them. The others are set by the actions only.
USER_SLOTS = tuple(name for name, spec in DOMAIN["slots"].items()
                   if any(m.get("type") in ("from_entity", "from_text") for m in spec.get("mappings", [])))

EXECUTOR = ActionExecutor()
EXECUTOR.register_package("actions")
ACTIONS = sorted(EXECUTOR.actions)

# Actions that Rasa's rules run right after their form completed, with no customer message in
# between: the form's slots then hold what its validator accepted (a state like this one).
AFTER_FORM = {
    "action_confirm_callback": {"phone_number": "06 12 34 56 78", "callback_slot": "soir"},
    "action_create_email_ticket": {"reply_email": "x@y.fr", "question": "Puis-je payer en trois fois ?"},
}

MAX_ANSWER = 3000  # characters of one message: no customer value is echoed at length
MAX_SECONDS = 5.0  # one action, even on a 100 kB message (regex backtracking, huge scans)
REPR_MARKERS = ("Traceback", "Exception", "Error:", "<object", "object at 0x")
PYTHON_REPRS = ("None", "{'", "['", "': ", "\\x", "\\u")  # str() of a value that is not text


def form_of(action: str) -> Optional[str]:
    """``validate_return_form`` -> ``return_form``."""
    name = action[len("validate_"):] if action.startswith("validate_") else None
    return name if name in FORMS else None


def user_event(text: Optional[str], intent: Optional[str], entities: List[Any], channel: str,
               timestamp: float, metadata: Optional[dict] = None) -> Dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 1.0},
             "intent_ranking": [{"name": intent, "confidence": 1.0}], "entities": entities,
             "message_id": "m1", "metadata": metadata or {}}
    return {"event": "user", "text": text, "timestamp": timestamp, "parse_data": parse,
            "input_channel": channel, "metadata": metadata or {}}


def call(action: str, *, text: Optional[str], intent: Optional[str], entities: List[Any],
         slots: Dict[str, Any], set_now: Dict[str, Any], active_loop: Optional[str],
         history: Iterable[Dict[str, Any]] = (), sender: str = "hostile-customer",
         channel: str = "rest") -> Dict[str, Any]:
    """The action call Rasa would post: the latest message ``text``; ``slots`` set earlier,
    ``set_now`` extracted from this message (what a form validates)."""
    now = time.time()
    latest = user_event(text, intent, entities, channel, now)
    events = [*history, latest,
              *({"event": "slot", "name": k, "value": v, "timestamp": now} for k, v in set_now.items())]
    tracker = {
        "sender_id": sender, "slots": {**SLOT_DEFAULTS, **slots, **set_now},
        "latest_message": latest["parse_data"], "events": events, "paused": False,
        "followup_action": None, "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }
    # What goes over HTTP: JSON (NaN and Infinity included, as Python writes and reads them).
    # The domain is sent as it is (it is Rasa's, not the customer's; round-tripping it is slow).
    return {"next_action": action, "sender_id": json.loads(json.dumps(sender)),
            "tracker": json.loads(json.dumps(tracker)), "domain": DOMAIN, "version": "3.6.21"}


def run(payload: Dict[str, Any]) -> Tuple[Dict[str, Any], float]:
    """Runs the call through rasa-sdk's executor; the response and the seconds it took."""
    started = time.monotonic()
    response = asyncio.run(EXECUTOR.run(payload))
    return response or {"events": [], "responses": []}, time.monotonic() - started


# --- what the customer reads --------------------------------------------------------------

_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def _texts(variation: Any) -> Iterable[str]:
    """Every text of a response variation shown to the customer (text, button titles)."""
    if isinstance(variation, dict):
        if isinstance(variation.get("text"), str):
            yield variation["text"]
        for button in variation.get("buttons") or []:
            if isinstance(button.get("title"), str):
                yield button["title"]


def _placeholders(template: str) -> List[str]:
    return _PLACEHOLDER.findall(template.replace("{{", "").replace("}}", ""))


def strings_in(value: Any) -> Iterable[str]:
    """Every string inside ``value`` (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings_in(key)
            yield from strings_in(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings_in(inner)


def unreadable(messages: List[Dict[str, Any]], slots: Dict[str, Any], typed: Iterable[str] = ()) -> List[str]:
    """What is wrong in ``messages`` for a customer reading them (empty: all fine).

    ``typed``: what the customer wrote; echoing it is not a Python repr."""
    typed = list(typed)
    problems: List[str] = []
    for message in messages:
        name = message.get("response")
        if not name:
            text = message.get("text")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"a message without a response nor a text: {message!r:.200}")
            else:
                problems += _bad_text("text", text, text, typed)
            continue
        variations = (DOMAIN.get("responses") or {}).get(name)
        if not variations:
            problems.append(f"unknown response {name}")
            continue
        values = {**slots, **{k: v for k, v in message.items() if k != "response"}}
        for variation in variations:
            for template in _texts(variation):
                for key in _placeholders(template):
                    value = values.get(key, KeyError)
                    if value is KeyError:
                        problems.append(f"{name}: {{{key}}} has no value (shown as typed)")
                    elif not isinstance(value, str):
                        problems.append(f"{name}: {{{key}}} is {type(value).__name__} {value!r:.80}")
                rendered = interpolate(template, values)
                problems += _bad_text(name, rendered, template, typed)
        for button in message.get("buttons") or []:
            if not isinstance(button, dict) or not isinstance(button.get("title"), str):
                problems.append(f"{name}: a button without a text title: {button!r:.100}")
            elif not isinstance(button.get("payload"), str) or len(button["payload"]) > 1000:
                problems.append(f"{name}: a button payload that is not short text")
    return problems


def rendered(messages: List[Dict[str, Any]], slots: Dict[str, Any]) -> List[str]:
    """Every text the customer may read (each variation of each response, filled by Rasa's
    interpolator)."""
    texts: List[str] = []
    for message in messages:
        name = message.get("response")
        if not name:
            texts.append(str(message.get("text") or ""))
            continue
        values = {**slots, **{k: v for k, v in message.items() if k != "response"}}
        for variation in (DOMAIN.get("responses") or {}).get(name) or []:
            texts += [str(interpolate(template, values)) for template in _texts(variation)]
    return texts


def _bad_text(name: str, rendered: Any, template: str, typed: List[str]) -> List[str]:
    if not isinstance(rendered, str) or not rendered.strip():
        return [f"{name}: empty message"]
    problems = [f"{name}: contains {marker!r}: {rendered!r:.200}" for marker in REPR_MARKERS + PYTHON_REPRS
                if marker in rendered and marker not in template and not any(marker in t for t in typed)]
    if len(rendered) > MAX_ANSWER:
        problems.append(f"{name}: {len(rendered)} characters long")
    return problems


# --- what the conversation keeps ------------------------------------------------------------

def bad_slots(events: List[Dict[str, Any]], set_now: Dict[str, Any]) -> List[str]:
    """Slot values that do not fit their slot (a form passing on, unchanged, a value it
    does not validate is Rasa's doing, not the action's)."""
    problems = []
    for event in events:
        if event.get("event") != "slot":
            continue
        name, value = event.get("name"), event.get("value")
        spec = DOMAIN["slots"].get(name)
        if spec is None:
            if name != "requested_slot":
                problems.append(f"slot {name!r} is not in the domain")
            continue
        if name in set_now and value == set_now[name] and type(value) is type(set_now[name]):
            continue
        if value is None:
            continue
        kind = spec["type"]
        if kind == "text" and not (isinstance(value, str) and len(value) <= 2001):
            problems.append(f"text slot {name} set to {type(value).__name__} {value!r:.80}")
        elif kind == "float" and not (isinstance(value, int | float) and not isinstance(value, bool)
                                      and math.isfinite(value)):
            problems.append(f"float slot {name} set to {value!r:.80}")
        elif kind == "bool" and not isinstance(value, bool):
            problems.append(f"bool slot {name} set to {value!r:.80}")
        elif kind == "categorical" and str(value).lower() not in [str(v).lower() for v in spec["values"]]:
            problems.append(f"categorical slot {name} set to {value!r:.80}")
    return problems


# --- the shop's database ----------------------------------------------------------------------

Rows = Dict[str, Dict[Tuple[Any, ...], Dict[str, Any]]]


def snapshot(engine: Engine) -> Rows:
    """Every row of every table, by primary key."""
    rows: Rows = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            rows[table.name] = {tuple(r[k] for k in keys): dict(r)
                                for r in conn.execute(select(table)).mappings()}
    return rows


def changes(before: Rows, after: Rows) -> Dict[str, List[Tuple[Optional[dict], Optional[dict]]]]:
    """Per table, the rows that changed: (before, after), ``None`` for an added or removed row."""
    found: Dict[str, List[Tuple[Optional[dict], Optional[dict]]]] = {}
    for table, rows in after.items():
        old = before.get(table, {})
        diff = [(old.get(key), row) for key, row in rows.items() if old.get(key) != row]
        diff += [(row, None) for key, row in old.items() if key not in rows]
        if diff:
            found[table] = diff
    return found


_TICKET_KINDS = {"handoff", "investigation", "callback", "email"}


def _order_exists(rows: Rows, number: Any) -> bool:
    return any(o["number"] == number for o in rows["orders"].values())


def bad_rows(table: str, old: Optional[dict], new: Optional[dict], rows: Rows, sender: str) -> List[str]:
    """What is wrong with one changed row (``rows``: the database after the action)."""
    if new is None:
        if table == "pending_reminders" and old is not None and old["conversation_id"] == sender:
            return []  # the conversation's own return reminder, cancelled
        return [f"{table}: a row was deleted: {old!r:.200}"]
    problems: List[str] = []

    def check(condition: bool, what: str) -> None:
        if not condition:
            problems.append(f"{table}: {what}: {new!r:.300}")

    if table == "tickets":
        check(old is None, "an existing ticket was modified")
        check(re.fullmatch(r"TKT-\d{6}", new["number"] or "") is not None, "ticket number")
        check(new["kind"] in _TICKET_KINDS, "ticket kind")
        check(new["conversation_id"] == sender, "conversation id")
        check(new["order_number"] is None or _order_exists(rows, new["order_number"]), "order number")
        check(new["email"] is None or normalise.email(new["email"]) == new["email"], "e-mail")
        check(new["phone"] is None or re.fullmatch(r"\+33[1-9]\d{8}", new["phone"]) is not None, "phone")
        check(new["slot"] is None or new["slot"] in SLOT_LABELS, "callback slot")
        check(new["question"] is None or 5 <= len(new["question"]) <= 2000, "question")
        check(isinstance(json.loads(new["transcript"]), list), "transcript")
        if new["kind"] == "callback":
            check(new["phone"] is not None and new["slot"] is not None, "a callback needs a phone and a slot")
        if new["kind"] == "email":
            check(new["email"] is not None and new["question"] is not None, "a written answer needs both")
    elif table == "handoffs":
        check(old is None, "an existing handoff was modified")
        check(new["conversation_id"] == sender, "conversation id")
        check(isinstance(json.loads(new["summary"]), dict), "summary")
    elif table == "orders":
        check(old is not None, "an order was created")
        if old is not None:
            changed = {k for k in new if new[k] != old[k]}
            check(old["status"] == "preparing", "a shipped order was changed")
            check(changed <= {"status", "shipping_street", "shipping_postcode", "shipping_city"},
                  f"columns {sorted(changed)} changed")
            check(new["status"] in (old["status"], "cancelled"), "status")
            check(addresses.valid_street(new["shipping_street"]) and addresses.valid_postcode(
                new["shipping_postcode"]) and addresses.valid_city(new["shipping_city"]), "address")
    elif table == "returns":
        check(old is None, "an existing return was modified")
        check(re.fullmatch(r"RET-\d{6}", new["number"] or "") is not None, "return number")
        check(new["reason"] in returns.REASONS, "reason")
        item = rows["order_items"].get((new["item_id"],))
        check(item is not None and item["order_id"] == new["order_id"], "item of another order")
    elif table == "satisfaction_ratings":
        check(isinstance(new["rating"], int) and 1 <= new["rating"] <= 5, "rating")
        check(new["request"] in REQUESTS, "request")
        check(new["comment"] is None or 1 <= len(new["comment"]) <= 2000, "comment")
        check(new["conversation_id"] == sender, "conversation id")
    elif table == "link_requests":
        check(old is None and re.fullmatch(r"[0-9a-f]{64}", new["email_hash"]) is not None, "request")
        check(new["purpose"] in ("unlock", "reset"), "purpose")
    elif table == "account_links":
        check(old is None and (new["customer_id"],) in rows["customers"], "link")
    elif table == "pending_reminders":
        check(new["conversation_id"] == sender, "conversation id")
        check(new["order_number"] is None or normalise.order_id(new["order_number"]) == new["order_number"],
              "order number")
    elif table in ("customer_conversations", "notification_optouts"):
        check((new["customer_id"],) in rows["customers"], "customer")
        if table == "customer_conversations":
            check(new["conversation_id"] == sender, "conversation id")
    else:
        problems.append(f"{table}: changed by an action: {new!r:.200}")
    return problems


# --- the verdict --------------------------------------------------------------------------------

OWNERS = {"CO100001": "camille.martin@example.fr", "CO100002": "camille.martin@example.fr",
          "CO100003": "camille.martin@example.fr", "CO100004": "lucas.bernard@example.fr",
          "CO100005": "lucas.bernard@example.fr", "CO100006": "emma.petit@example.fr",
          "CO100007": "emma.petit@example.fr", "CO100008": "emma.petit@example.fr"}
IDENTITY = {"customer_conversations"}  # a verified order links the conversation to its customer
HANDOFF = {"tickets", "handoffs"}  # too many failed checks: the advisors' queue
REMINDER = {"pending_reminders"}  # the return reminder: recorded, cancelled, marked sent
WRITES = {  # the tables each action exists to write; every other action writes nothing
    **{f"validate_{form}": IDENTITY for form in
       ("order_tracking_form", "cancel_order_form", "refund_form", "change_address_form")},
    "validate_return_form": IDENTITY | REMINDER, "action_remind_return": REMINDER,
    "action_track_order": HANDOFF, "action_prepare_cancellation": HANDOFF,
    "action_refund_status": HANDOFF, "action_prepare_address_change": HANDOFF,
    "action_register_return": HANDOFF | {"returns"} | REMINDER,
    "action_cancel_order": {"orders"}, "action_change_address": {"orders"},
    "action_open_investigation": {"tickets"}, "action_handoff": HANDOFF,
    "action_record_rating": {"satisfaction_ratings"},
    "action_save_satisfaction_comment": {"satisfaction_ratings"},
    "action_stop_notifications": {"notification_optouts"} | REMINDER,
    "action_send_account_link": {"link_requests", "account_links"},
    "action_create_callback": {"tickets"}, "action_create_email_ticket": {"tickets"},
}


def identity_problems(action: str, turn: Dict[str, Any], events: list) -> list:
    """An order marked verified must have been proved with its customer's e-mail (the shop's
    own delivery notice excepted, when it really comes from the shop)."""
    slots = {**turn["slots"], **turn["set_now"]}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in ("email", "order_id"):
            slots[event["name"]] = event.get("value")
    problems = []
    for event in events:
        if event.get("event") != "slot" or event.get("name") != "verified_order" or not event.get("value"):
            continue
        number = event["value"]
        if action == "action_ask_delivery_feedback" and not (turn["text"] or "").startswith("/"):
            continue  # trigger_intent from the shop's systems (a customer's "/EXTERNAL_..." is not)
        email = slots.get("email")
        if not (isinstance(email, str) and email.lower() == OWNERS.get(number)):
            problems.append(f"{action} verified {number} with the e-mail {email!r:.80}")
    return problems


def authority_problems(turn: Dict[str, Any], diff: dict) -> list:
    """Rows written about an order are about the order proved in this conversation."""
    verified = turn["slots"].get("verified_order")
    problems = []
    for table, rows in diff.items():
        for _, new in rows:
            if new is None:
                continue
            if table == "orders" and new["number"] != verified:
                problems.append(f"order {new['number']} changed, the verified order is {verified!r}")
            if table == "tickets" and new["order_number"] not in (None, verified):
                problems.append(f"ticket about {new['order_number']}, the verified order is {verified!r}")
    return problems


_last_snapshot: Dict[int, Rows] = {}  # the database as the last verdict left it


def database_touched() -> None:
    """Something else wrote to the database: the next verdict takes a fresh snapshot first."""
    _last_snapshot.clear()


def judge(engine: Engine, action: str, turn: Dict[str, Any]) -> Tuple[List[str], Dict[str, Any]]:
    """Runs ``action`` on ``turn`` (the keyword arguments of ``call``) against the shop in
    ``engine``; what is wrong (empty: nothing), and the action server's response."""
    before = _last_snapshot.get(id(engine)) or snapshot(engine)
    response, seconds = run(call(action, **turn))
    after = _last_snapshot[id(engine)] = snapshot(engine)
    events, messages = response["events"], response["responses"]
    slots = {**SLOT_DEFAULTS, **turn["slots"], **turn["set_now"]}
    typed = strings_in([turn["text"], turn["entities"], turn["slots"], turn["set_now"]])
    problems = unreadable(messages, slots, typed) + bad_slots(events, turn["set_now"])
    problems += identity_problems(action, turn, events)
    if seconds > MAX_SECONDS:
        problems.append(f"took {seconds:.1f} s")
    diff = changes(before, after)
    for table, rows in diff.items():
        if table not in WRITES.get(action, ()):
            problems.append(f"wrote to {table}")
        for old, new in rows:
            problems += bad_rows(table, old, new, after, turn["sender"])
    problems += authority_problems(turn, diff)
    return [f"{action}: {problem}" for problem in problems], response
