"""Which customer messages Colibri missed, from one conversation's events.

Events are Rasa's own event dictionaries (the tracker store's ``data`` column).
A customer message (``user`` event, not a ``/payload`` button) is missed when:

- ``fallback``: Rasa predicted ``nlu_fallback``;
- ``out_of_scope``: Rasa predicted ``out_of_scope``;
- ``low_confidence``: the best real intent is below the FallbackClassifier threshold;
- ``ambiguous``: the two best real intents are closer than the ambiguity threshold;
- ``handoff``: it is the customer's last message before a handoff to an advisor
  (``action_handoff``, or a handoff response sent by another action), not counting
  the request itself (« je veux un conseiller », an « oui », a button);
- ``complaint``: the bot answered it and the customer's next message says it was
  wrong: a complaint phrase (« ce n'est pas ce que je demandais », « tu ne comprends
  rien », « n'importe quoi »…) or a ``deny`` when the bot had not asked a question
  (no « ? », no buttons). A low-confidence follow-up is exported for itself.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Deque, Dict, Iterable, Iterator, List, Optional, Set

from actions.normalise import fold

NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
REASONS = ("fallback", "out_of_scope", "low_confidence", "ambiguous", "handoff", "complaint")
HANDOFF_ACTIONS = frozenset({"action_handoff"})
HANDOFF_RESPONSES = frozenset({"utter_handoff_queued", "utter_no_advisor_available"})
HANDOFF_REQUESTS = frozenset({"human_handoff", "request_callback", "affirm"})
WINDOW = 5  # customer messages kept per conversation, for the handoff and complaint look-back
COMPLAINT = re.compile(
    r"(?:ce n'?est|c'?est|c) (?:pas|pa) (?:du tout )?(?:ce que|ca|sa|la question|ce qu'on)"
    r"|pas ce que (?:je|j'ai) "
    r"|(?:tu|vous) (?:ne |n')?(?:comprends|comprend|comprenez|captes|capte) (?:rien|pas|que dalle)"
    r"|(?:tu|vous) (?:n'?)?(?:as|a|avez) (?:rien|pas|mal) compris|pas compris ma"
    r"|rien a voir|n'importe quoi|a cote de la plaque|hors sujet|j'ai (?:pas|jamais) dit (?:ca|sa)"
)


@dataclass(frozen=True)
class Thresholds:
    """The FallbackClassifier's thresholds."""

    confidence: float = 0.55
    ambiguity: float = 0.1

    @classmethod
    def from_config(cls, path: Path) -> Thresholds:
        """Read from ``config.yml``'s FallbackClassifier; the defaults when absent."""
        from rasa.shared.utils.io import read_yaml_file

        default = cls()
        if not path.is_file():
            return default
        for component in (read_yaml_file(path) or {}).get("pipeline") or []:
            if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
                return cls(float(component.get("threshold", default.confidence)),
                           float(component.get("ambiguity_threshold", default.ambiguity)))
        return default


@dataclass(frozen=True)
class Prediction:
    """What the NLU made of a message."""

    intent: Optional[str]  # as Rasa predicted it, ``nlu_fallback`` included
    guess: Optional[str]  # the best real intent; ``faq/<key>`` for the retrieval intent
    confidence: float  # of ``guess``
    second: Optional[float] = None  # confidence of the second real intent

    @classmethod
    def from_parse_data(cls, parse_data: Dict[str, Any]) -> Prediction:
        intent = (parse_data.get("intent") or {}).get("name")
        ranking = [r for r in parse_data.get("intent_ranking") or []
                   if isinstance(r, dict) and r.get("name") and r.get("name") != NLU_FALLBACK]
        if not ranking and intent and intent != NLU_FALLBACK:
            ranking = [parse_data["intent"]]
        guess = ranking[0]["name"] if ranking else None
        confidence = float(ranking[0].get("confidence") or 0.0) if ranking else 0.0
        second = float(ranking[1].get("confidence") or 0.0) if len(ranking) > 1 else None
        return cls(intent, _full_retrieval_intent(guess, parse_data), confidence, second)


def _full_retrieval_intent(guess: Optional[str], parse_data: Dict[str, Any]) -> Optional[str]:
    """``faq`` -> ``faq/delivery_cost`` from the ResponseSelector's prediction."""
    selectors = parse_data.get("response_selector") or {}
    selector = (selectors.get(guess) or selectors.get("default")) if guess else None
    key = ((selector or {}).get("response") or {}).get("intent_response_key")
    return key if isinstance(key, str) and guess and key.startswith(f"{guess}/") else guess


def nlu_reasons(prediction: Prediction, thresholds: Thresholds) -> Set[str]:
    """The reasons the NLU result alone gives to export a message."""
    reasons = set()
    if prediction.intent == NLU_FALLBACK:
        reasons.add("fallback")
    if prediction.intent == OUT_OF_SCOPE:
        reasons.add("out_of_scope")
    if prediction.confidence < thresholds.confidence:
        reasons.add("low_confidence")
    if prediction.second is not None and prediction.confidence - prediction.second < thresholds.ambiguity:
        reasons.add("ambiguous")
    return reasons


def is_complaint(text: str, prediction: Prediction, bot_asked: bool) -> bool:
    """The customer says the bot's last answer missed the point."""
    return bool(COMPLAINT.search(fold(text))) or (prediction.intent == "deny" and not bot_asked)


@dataclass
class Turn:
    """A customer message and what happened right after it."""

    text: str
    prediction: Prediction
    entities: List[Dict[str, Any]] = field(default_factory=list)
    reasons: Set[str] = field(default_factory=set)
    payload: bool = False  # a button's ``/intent``: never exported
    answered: bool = False  # the bot said something after it
    bot_asked: bool = False  # the bot's last message after it was a question or had buttons
    handed_off: bool = False  # a handoff was traced back to or through it


def _user_turn(event: Dict[str, Any], thresholds: Thresholds) -> Optional[Turn]:
    text = event.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    parse_data = event.get("parse_data") or {}
    prediction = Prediction.from_parse_data(parse_data)
    if text.lstrip().startswith("/"):
        return Turn(text, prediction, payload=True)
    entities = [e for e in parse_data.get("entities") or [] if isinstance(e, dict)]
    return Turn(text, prediction, entities, nlu_reasons(prediction, thresholds))


def _trace_handoff(window: Deque[Turn]) -> None:
    """Mark the customer's last message before the handoff request."""
    for turn in reversed(window):
        if turn.handed_off:
            return
        turn.handed_off = True
        if not (turn.payload or turn.prediction.intent in HANDOFF_REQUESTS):
            turn.reasons.add("handoff")
            return


def _is_handoff(event: Dict[str, Any]) -> bool:
    if event.get("event") == "action":
        return event.get("name") in HANDOFF_ACTIONS
    metadata = event.get("metadata") or {}
    return event.get("event") == "bot" and metadata.get("utter_action") in HANDOFF_RESPONSES


def missed_turns(events: Iterable[Dict[str, Any]], thresholds: Optional[Thresholds] = None) -> Iterator[Turn]:
    """The missed customer messages of one conversation (one ``sender_id``)."""
    thresholds = thresholds or Thresholds()
    window: Deque[Turn] = deque()

    def flagged(turns: Iterable[Turn]) -> Iterator[Turn]:
        return (t for t in turns if t.reasons and not t.payload)

    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            yield from flagged(window)
            window.clear()
        elif kind == "user":
            turn = _user_turn(event, thresholds)
            if turn is None:
                continue
            previous = window[-1] if window else None
            if previous and previous.answered and not previous.payload and not turn.payload \
                    and is_complaint(turn.text, turn.prediction, previous.bot_asked):
                previous.reasons.add("complaint")
            if len(window) == WINDOW:
                yield from flagged([window.popleft()])
            window.append(turn)
        elif kind == "bot" and window:
            data = event.get("data") or {}
            window[-1].answered = True
            window[-1].bot_asked = "?" in (event.get("text") or "") or bool(data.get("buttons"))
        if _is_handoff(event):
            _trace_handoff(window)
    yield from flagged(window)
