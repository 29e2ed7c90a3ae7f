"""Find an event's class by its type name in a dictionary, not by walking every subclass.

Rasa 3.6 turns each stored event back into an object with ``Event.resolve_by_type``,
which lists every subclass of ``Event`` and checks each one for abstract methods, for
every event. Reading a conversation (the tracker store's ``retrieve``, on every message)
and the action server's answers pay it once per event: about 0.2 ms each, so 10 to 20 ms
of CPU per message once a conversation has 50 to 100 events.

Here the classes are listed once, by type name, keeping the first one Rasa's walk finds.
A name not in the list (an event class imported since, « topic », an unknown name) goes
to Rasa's own function, after the list is made again: same class, same default, same
error. Where a subclass keeps its parent's name (``rasa.core.test``'s
``EndToEndUserUtterance`` is « user »), the parent comes first in Rasa's walk and here.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

RASA_RESOLVE_BY_TYPE = Event.resolve_by_type  # Rasa's own, for comparison in tests
_by_type: Dict[str, Type[Event]] = {}


def _list_classes() -> None:
    _by_type.clear()
    for cls in all_subclasses(Event):
        _by_type.setdefault(cls.type_name, cls)


def resolve_by_type(type_name: str, default: Optional[Type[Event]] = None
                    ) -> Optional[Type[Event]]:
    """``Event.resolve_by_type`` with the classes listed once."""
    found = _by_type.get(type_name)
    if found is not None:
        return found
    _list_classes()
    found = _by_type.get(type_name)
    return found if found is not None else RASA_RESOLVE_BY_TYPE(type_name, default)


def install() -> None:
    """Replaces ``Event.resolve_by_type``."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
