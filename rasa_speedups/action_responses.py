"""Validate action server responses with a validator built once, not once per response.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every
response of the action server. That function first checks the schema itself against the
JSON Schema meta-schema, then builds a validator: with Rasa's events schema, that check
is most of the cost, and it took about 30 % of a busy Rasa server's message time under
``make bench-load`` (py-spy, docs/performance.md). The schema is a constant, so it is
checked and compiled once here; responses are validated exactly as before, with the
same error for an invalid one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_INVALID_HINT = (
    ". Failed to validate Action server response from API, make sure your response from "
    "the Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of Rasa's action response schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` without re-checking the schema each time."""
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += _INVALID_HINT
        raise error
    return True


def install() -> None:
    """Replaces Rasa's method on ``RemoteAction`` (and so on forms' validation actions)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


__all__ = ["install", "response_validator", "validate_action_result"]
