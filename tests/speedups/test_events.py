"""Event classes found by type name: the same answers as Rasa's ``Event.resolve_by_type``."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

import channels  # noqa: F401 - loading the channels installs the speed-ups, as in `rasa run`
from rasa_speedups import events


def test_installed_where_rasa_looks() -> None:
    assert Event.resolve_by_type is events.resolve_by_type


def test_a_name_shared_by_a_subclass_gives_the_class_rasa_finds_first() -> None:
    # rasa.core.test's EndToEndUserUtterance keeps UserUttered's name « user ».
    from rasa.core.test import EndToEndUserUtterance

    assert EndToEndUserUtterance.type_name == "user"
    events._list_classes()
    assert events.resolve_by_type("user") is UserUttered is events.RASA_RESOLVE_BY_TYPE("user")


@pytest.mark.parametrize("cls", all_subclasses(Event), ids=lambda cls: cls.type_name)
def test_every_event_type_resolves_to_rasas_class(cls: type) -> None:
    assert events.resolve_by_type(cls.type_name) is events.RASA_RESOLVE_BY_TYPE(cls.type_name)


def test_unknown_names_behave_as_in_rasa() -> None:
    assert events.resolve_by_type("topic") is None
    assert events.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError) as ours:
        events.resolve_by_type("no_such_event")
    with pytest.raises(ValueError) as rasas:
        events.RASA_RESOLVE_BY_TYPE("no_such_event")
    assert str(ours.value) == str(rasas.value) == "Unknown event name 'no_such_event'."


def test_an_event_class_defined_later_is_found() -> None:
    class LateEvent(ActionExecuted):
        type_name = "colibri_test_late_event"

    assert events.resolve_by_type("colibri_test_late_event") is LateEvent


def test_a_stored_conversation_reads_back_the_same() -> None:
    stored = [UserUttered("bonjour", {"name": "greet", "confidence": 0.9}), ActionExecuted("utter_greet"),
              SlotSet("email", "camille.martin@example.fr"), ActionExecuted("action_listen")]
    dicts = [event.as_dict() for event in stored]
    tracker = DialogueStateTracker.from_dict("speedups-events", dicts, slots=[])
    assert list(tracker.events) == stored
    assert [type(e) for e in tracker.events] == [UserUttered, ActionExecuted, SlotSet, ActionExecuted]
