"""The Rasa server's validation of action server responses: as strict as Rasa's, done once.

Rasa would accept or refuse a response exactly as before (compared with Rasa's own
``jsonschema.validate`` on valid, invalid and random responses), and the meta-schema
check that made it slow runs once per process, not once per response.
"""

from __future__ import annotations

from typing import Any, Dict

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import channels  # noqa: F401 - loading the channels installs the speed-ups, as in `rasa run`
from rasa_speedups import action_responses

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "CMD-2024-00042"}],
     "responses": [{"response": "utter_order_status", "order_id": "CMD-2024-00042"}]},
    {"events": [{"event": "followup", "name": "action_listen"}],
     "responses": [{"response": "utter_actions_unavailable"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot",
                                                         "value": None}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "order_id"}]},  # no "event"
    {"events": [{"event": "slot", "name": 42, "value": "x"}]},
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["a text, not an object"]},
    [],
]


def rasa_decision(result: Any) -> bool:
    """What Rasa 3.6 itself decides, with ``jsonschema.validate`` as it calls it."""
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


def colibri_decision(result: Any) -> bool:
    action = RemoteAction("action_track_order", EndpointConfig("http://127.0.0.1:1/webhook"))
    try:
        return action._validate_action_result(result)
    except jsonschema.ValidationError as error:
        assert "Failed to validate Action server response" in error.message
        return False


def test_loading_colibris_channels_installs_the_speedup() -> None:
    assert RemoteAction._validate_action_result is action_responses.validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_a_valid_response_is_accepted(result: Dict[str, Any]) -> None:
    assert rasa_decision(result)
    assert colibri_decision(result)


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_response_is_refused_with_rasas_message(result: Any) -> None:
    assert not rasa_decision(result)
    assert not colibri_decision(result)


def test_the_same_error_as_rasa_is_raised() -> None:
    result = {"events": [{"event": "slot", "name": 42, "value": "x"}]}
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("action_track_order", None)._validate_action_result(result)
    assert ours.value.message.startswith(rasas.value.message)
    assert list(ours.value.absolute_path) == list(rasas.value.absolute_path)


def test_the_schema_is_checked_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = []
    action_responses.response_validator.cache_clear()
    validator_class = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
    original = validator_class.check_schema
    monkeypatch.setattr(validator_class, "check_schema",
                        classmethod(lambda cls, schema, **kw: checks.append(1) or original(schema, **kw)))
    for _ in range(5):
        colibri_decision(VALID[1])
    assert len(checks) == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children,
                                                                      max_size=3),
    max_leaves=12,
)
events = st.fixed_dictionaries(
    {"event": st.sampled_from(["slot", "action", "user", "bot", "followup", "active_loop",
                               "reset_slots", "restart", "unknown", ""])},
    optional={"name": json_values, "value": json_values, "text": json_values,
              "timestamp": json_values, "policy": json_values})
responses = st.fixed_dictionaries({}, optional={
    "events": st.lists(events, max_size=3) | json_values,
    "responses": st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=2)
                          | json_values, max_size=2) | json_values})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses | json_values)
def test_any_response_gets_rasas_decision(result: Any) -> None:
    assert colibri_decision(result) == rasa_decision(result)
