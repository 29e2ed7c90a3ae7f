"""The inbox: masked messages, deduplicated and counted, written as Rasa NLU YAML.

Examples are grouped under the intent Colibri guessed, so a trainer moves the
wrong ones. Each example is a ``- text:`` entry with ``metadata`` (reasons,
predicted intent, confidence, count) and a comment line above it: a comment
after an example inside an ``examples: |`` block would become part of the text.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Set

from trainers.masking import dedup_key
from trainers.selection import OUT_OF_SCOPE, REASONS


@dataclass
class Example:
    """One distinct masked message and how often it was missed."""

    text: str
    intent: str  # where it is filed: the best real intent Colibri guessed
    predicted: str  # what Rasa predicted (``nlu_fallback`` included)
    confidence: float  # the lowest seen, with its intent
    reasons: Set[str] = field(default_factory=set)
    count: int = 1

    def reason_list(self) -> List[str]:
        return [r for r in REASONS if r in self.reasons]


class Inbox:
    """Deduplicates masked messages: same text once case, spaces and accents are set aside."""

    def __init__(self) -> None:
        self.examples: Dict[str, Example] = {}

    def add(self, text: str, intent: str, predicted: str, confidence: float, reasons: Iterable[str]) -> None:
        """Counts one more missed message; ``text`` must already be masked."""
        key = dedup_key(text)
        example = self.examples.get(key)
        if example is None:
            self.examples[key] = Example(text, intent, predicted, confidence, set(reasons))
            return
        example.count += 1
        example.reasons.update(reasons)
        if confidence < example.confidence:
            example.intent, example.predicted, example.confidence = intent, predicted, confidence

    def by_intent(self) -> Dict[str, List[Example]]:
        """Intents with the most messages first; in each, the most frequent examples first."""
        groups: Dict[str, List[Example]] = {}
        for example in self.examples.values():
            groups.setdefault(example.intent or OUT_OF_SCOPE, []).append(example)
        ordered = sorted(groups.items(), key=lambda item: (-sum(e.count for e in item[1]), item[0]))
        return {intent: sorted(examples, key=lambda e: (-e.count, e.text)) for intent, examples in ordered}

    def per_reason(self) -> Dict[str, Counter]:
        """For each reason: ``examples`` (distinct) and ``messages`` (with repeats)."""
        counts: Dict[str, Counter] = {reason: Counter() for reason in REASONS}
        for example in self.examples.values():
            for reason in example.reasons:
                counts[reason]["examples"] += 1
                counts[reason]["messages"] += example.count
        return counts


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def render(inbox: Inbox, header: Iterable[str] = ()) -> str:
    """The inbox as a Rasa NLU file (``version: "3.1"``)."""
    lines = ['version: "3.1"', *(f"# {line}".rstrip() for line in header)]
    groups = inbox.by_intent()
    lines.append("nlu:" if groups else "nlu: []")
    for intent, examples in groups.items():
        total = sum(e.count for e in examples)
        lines += [f"# {intent} (as Colibri guessed: check each one): {len(examples)} example(s), "
                  f"{total} message(s)",
                  f"- intent: {intent}", "  examples:"]
        for example in examples:
            reasons = example.reason_list()
            lines += [f"  # {', '.join(reasons)} {example.confidence:.2f} x{example.count}",
                      f"  - text: {_quoted(example.text)}",
                      "    metadata:",
                      f"      reasons: [{', '.join(reasons)}]",
                      f"      predicted_intent: {_quoted(example.predicted)}",
                      f"      confidence: {example.confidence:.3f}",
                      f"      count: {example.count}"]
    return "\n".join(lines) + "\n"


def write(inbox: Inbox, path: Path, header: Iterable[str] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(inbox, header), encoding="utf-8")
