"""``rasa data validate``, strict: any warning fails, but one known false alarm.

Rasa 3.6 warns "The utterance 'utter_x' is not used in any story or rule" for
every response that a form asks (``utter_ask_<slot>``) or that a custom action
sends (``dispatcher.utter_message(response="utter_x")``): the validator only
looks at stories and rules. This script runs the same checks as
``rasa data validate --fail-on-warnings`` and accepts that warning only for
responses really used that way; it also fails when an action names a response
the domain does not have. The knowledge base's answers (``utter_faq/<sub-intent>``, and the
``utter_faq`` Rasa derives from them) are sent by ``action_answer_faq`` and count as used
when that action exists; ``faq`` listed in the domain and found again by Rasa in the
retrieval examples is not a duplicate either. ``EXTERNAL_…`` intents, triggered through the
HTTP API (the agent desk), have no NLU examples by design.
Run from the project root: ``python scripts/validate_data.py``.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import Set

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(?P<name>[^']+)' is not used in any story or rule\.")
DUPLICATED_INTENTS = re.compile(r"The following duplicated intents have been found across multiple domain "
                                r"files: (?P<names>.+)$")
DISPATCHED = re.compile(r"[\"'](utter_\w+)[\"']")
# Intents that no customer types: triggered through Rasa's HTTP API (``EXTERNAL_`` prefix).
NO_NLU_DATA = re.compile(r"The intent '(?P<name>EXTERNAL_\w+)' is listed in the domain file, but is not "
                         r"found in the NLU training data\.")


def responses_sent_by_actions() -> Set[str]:
    """Response names that the action server's code sends, or nginx in its place when it is down."""
    names: Set[str] = set()
    sources = [*(ROOT / "actions").rglob("*.py"), *(ROOT / "deploy").rglob("*.conf*")]
    for path in sources:
        names.update(DISPATCHED.findall(path.read_text(encoding="utf-8")))
    return names


def main() -> int:
    """Validates the project's data; returns the process exit code."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import EXPECTED_WARNINGS
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        domain = validator.domain
        checks = [
            validator.verify_domain_validity(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_forms_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
            validator.verify_intents_in_stories(ignore_warnings=False),
            validator.verify_example_repetition_in_intents(ignore_warnings=False),
            validator.verify_utterances_in_stories(ignore_warnings=True),
            validator.verify_story_structure(ignore_warnings=False),
        ]
        validator.warn_if_config_mandatory_keys_are_not_set()

    form_asks = {f"utter_ask_{slot}" for form in domain.form_names
                 for slot in domain.required_slots_for_form(form)}
    sent = responses_sent_by_actions()
    problems = [f"actions send '{name}', which the domain does not define"
                for name in sorted(sent - set(domain.responses))]
    for warning in caught:
        if not issubclass(warning.category, UserWarning) or "rasa" not in warning.filename:
            continue  # third-party deprecation notices
        text = str(warning.message)
        if any(issubclass(warning.category, category) and re.match(pattern, text)
               for category, pattern in EXPECTED_WARNINGS):
            continue  # warnings that Rasa itself silences
        unused = UNUSED.match(text)
        if unused and unused["name"] in form_asks | sent:
            continue
        knowledge_base = "action_answer_faq" in domain.action_names_or_texts
        if unused and unused["name"].partition("/")[0] == "utter_faq" and knowledge_base:
            continue
        if NO_NLU_DATA.match(text):
            continue
        duplicated = DUPLICATED_INTENTS.match(text)
        if duplicated and set(duplicated["names"].split(", ")) <= set(domain.retrieval_intents):
            continue
        problems.append(text)
    if not all(checks):
        problems.append("Rasa's validator reported errors (see above)")
    for problem in problems:
        print(f"validate: {problem}", file=sys.stderr)
    print(f"validate: {'FAILED' if problems else 'ok'} "
          f"({len(form_asks | sent)} responses sent by forms and actions)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
