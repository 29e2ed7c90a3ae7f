"""Logs without personal data: e-mail addresses, phone numbers and postal addresses are masked.

``MaskingFilter`` rewrites a record's final message (``msg % args``), its exception and
stack text and its string extras. ``privacy/logging.yml`` puts it on the root handler for
``rasa run`` and ``rasa run actions`` (``--logging-config-file``); ``install()`` does the
same for the project's own entry points. With ``everywhere`` (both do it), records are
also masked when created, so loggers with their own handlers (Sanic's) are covered too.

The patterns are those of the assistant (``actions.normalise``) and of the trainers'
masking (``trainers.masking``: loose e-mails, international numbers, streets, postcodes).
"""

from __future__ import annotations

import logging
import re
from itertools import pairwise
from typing import Iterator, List, Optional

from actions.normalise import _EMAIL, _PHONE
from trainers import masking
from trainers.masking import _INTL_PHONE, _LOOSE_EMAIL, Span

EMAIL, PHONE, ADDRESS = "[email]", "[phone]", "[address]"

_MARK = "_personal_data_masked"
_STANDARD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", _MARK}
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")  # JSON's \u00e9 (Rasa's structured logs)
# Linear time on hostile input (« aaaa…@ »): e-mails start only where a word starts, and the
# loose forms (« camille . martin @ gmail . com ») are looked for only near an @ or « arobase ».
_EMAIL_FROM_START = re.compile(r"(?<![A-Za-z0-9._%+\-])(?:" + _EMAIL.pattern + ")", _EMAIL.flags)
_LOOSE_EMAIL_HINT = re.compile(r"@|\(at\)|arobase", re.IGNORECASE)
LOOSE_REACH = 80  # characters on each side of the hint
_DECIMAL = re.compile(r"0[.,]\d")


def _letter(match: re.Match) -> str:
    char = chr(int(match.group(1), 16))
    return char if char.isalpha() else match.group(0)


def _unescape_letters(text: str) -> str:
    """``All\\u00e9e`` -> ``Allée``: letters only, so JSON stays valid."""
    return _ESCAPED.sub(_letter, text) if "\\u" in text else text


def _inside_number(text: str, start: int) -> bool:
    """A decimal or an address, not a phone or a postcode: ``0.987654321``, ``127.0.0.1:50055``."""
    return (start >= 2 and text[start - 1] in ".,:" and text[start - 2].isdigit()) \
        or _DECIMAL.match(text, start) is not None


def _matches(pattern: re.Pattern, text: str, replacement: str, start: int = 0,
             end: Optional[int] = None) -> Iterator[Span]:
    for match in pattern.finditer(text, start, len(text) if end is None else end):
        if not _inside_number(text, match.start()):
            yield Span(match.start(), match.end(), replacement)


def _email_spans(text: str) -> Iterator[Span]:
    yield from _matches(_EMAIL_FROM_START, text, EMAIL)
    for hint in _LOOSE_EMAIL_HINT.finditer(text):
        yield from _matches(_LOOSE_EMAIL, text, EMAIL, max(0, hint.start() - LOOSE_REACH),
                            hint.end() + LOOSE_REACH)


def _address_spans(text: str) -> Iterator[Span]:
    """The trainers' street and postcode spans; a postcode counts only with its city after it."""
    for span, following in pairwise([*masking._address_spans(text), None]):
        if span.replacement == masking.STREET:
            yield Span(span.start, span.end, ADDRESS)
        elif (span.replacement == masking.POSTCODE and following is not None
              and following.replacement == masking.CITY and not _inside_number(text, span.start)):
            yield Span(span.start, following.end, ADDRESS)


def _spans(text: str) -> Iterator[Span]:
    """Candidates in priority order: e-mails, phone numbers, addresses."""
    yield from _email_spans(text)
    yield from _matches(_PHONE, text, PHONE)
    yield from _matches(_INTL_PHONE, text, PHONE)
    yield from _address_spans(text)


def mask_text(text: str) -> str:
    """``text`` with e-mails, phone numbers and postal addresses replaced; the rest as it was."""
    if not text:
        return text
    text = _unescape_letters(text)
    return masking.replace_spans(text, _spans(text))


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - bad arguments: logging would print them raw
        return f"{record.msg} (arguments: {record.args!r})"


def _extras(record: logging.LogRecord) -> List[str]:
    """What ``extra=`` added: set after the record's creation, so masked again by the filter."""
    return [name for name, value in record.__dict__.items()
            if name not in _STANDARD_FIELDS and isinstance(value, str)]


def mask_record(record: logging.LogRecord) -> None:
    """Masks ``record`` in place: message, exception and stack text once, string extras each time.

    Never raises: if masking fails, the record keeps no text of its own (fails closed)."""
    try:
        if not record.__dict__.get(_MARK):
            _mask_texts(record)
        for name in _extras(record):
            record.__dict__[name] = mask_text(record.__dict__[name])
    except Exception as error:  # noqa: BLE001 - logging must go on, without the unmasked text
        record.msg, record.args = f"[message not logged: masking failed ({type(error).__name__})]", ()
        record.exc_info = record.exc_text = record.stack_info = None
        record.__dict__.update(dict.fromkeys(_extras(record), ""))
    record.__dict__[_MARK] = True


def _mask_texts(record: logging.LogRecord) -> None:
    record.msg, record.args = mask_text(_message(record)), ()
    if record.exc_info:
        if not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None  # formatters print exc_text; nobody re-reads the raw exception
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


def mask_at_creation() -> None:
    """Every record created from now on is masked at once, whichever handler prints it."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_personal_data", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        mask_record(record)
        return record

    factory.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class MaskingFilter(logging.Filter):
    """Lets every record through, with its personal data masked.

    ``everywhere``: also mask records when they are created (``mask_at_creation``), for the
    loggers whose handlers do not carry this filter. Extras (``extra=``) are set after the
    creation: only this filter, on a handler, masks them.
    """

    def __init__(self, name: str = "", everywhere: bool = False) -> None:
        super().__init__(name)
        if everywhere:
            mask_at_creation()

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install(logger: Optional[logging.Logger] = None) -> MaskingFilter:
    """Masks personal data in the logs from now on: on ``logger``'s handlers (the root's by
    default) and at every record's creation. For the project's own entry points."""
    masking_filter = MaskingFilter(everywhere=True)
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(masking_filter)
    return masking_filter
