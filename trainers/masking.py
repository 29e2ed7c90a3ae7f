"""Masks personal data in a customer's message, keeping it trainable.

Identifiers become fixed placeholders annotated as the contract's entities
(``[CO100000](order_id)``, ``[client@example.fr](email)``, ``[06 00 00 00 00](phone_number)``,
``[6A00000000000](tracking_number)``); return numbers become ``RET-100000``; postal
addresses become « 1 rue de l'Exemple » and « 75000 Paris »; names become « Dominique »
(first name) and « Durand » (last name); any other run of 7 digits or more becomes
``0000000``. Products the model found are annotated ``[robe](product)``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from actions.normalise import _EMAIL, _ORDER_BARE, _ORDER_PREFIXED, _PHONE, _RETURN, _TRACKING, fold
from trainers.shop_names import KnownNames

ORDER_DIGITS = "100000"
EMAIL = "[client@example.fr](email)"
PHONE = "[06 00 00 00 00](phone_number)"
TRACKING = "[6A00000000000](tracking_number)"
STREET = "1 rue de l'Exemple"
POSTCODE, CITY = "75000", "Paris"
FIRST_NAME, LAST_NAME = "Dominique", "Durand"
LONG_NUMBER = "0000000"
ANNOTATED_ENTITIES = frozenset({"product"})  # non-personal entities of the contract the model finds

_WORD = r"[^\W\d_]+(?:-[^\W\d_]+)*"
_WORD_RE = re.compile(_WORD)
_LOOSE_EMAIL = re.compile(  # « camille . martin @ gmail . com », « x arobase y.fr »
    r"[\w%+\-]+(?:\s?\.\s?[\w%+\-]+)*\s?(?:@|\(at\)|\barobase\b)\s?[\w\-]+(?:\s?\.\s?[\w\-]+)*\s?\.\s?[A-Za-z]{2,}",
    re.IGNORECASE,
)
_INTL_PHONE = re.compile(r"(?<![\w+])\+\d{2,3}(?:[\s.\-]?\(?\d\)?){6,12}(?!\d)")
_SPACED_TRACKING = re.compile(r"(?<![A-Za-z0-9])[0-9A-Za-z]{2}(?:\s?\d){11}(?![A-Za-z0-9])", re.ASCII)
_LONG_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d(?:[\s.\-]?\d){6,}(?![A-Za-z0-9])", re.ASCII)
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])\d{5}(?![A-Za-z0-9])(?!\s*(?:€|euros?\b|eur\b))", re.IGNORECASE)
_STREET = re.compile(
    r"(?<![\w])\d{1,4}(?:\s?(?:bis|ter|[ab])\b)?,?\s+"
    r"(?:rue|avenue|av|bd|boulevard|chemin|ch|all[ée]e|impasse|imp|place|pl|route|rte|quai|cours|square"
    r"|r[ée]sidence|lotissement|lieu-dit|voie|passage|sentier|cit[ée]|chauss[ée]e|esplanade|promenade"
    r"|rond-point|faubourg|fbg|hameau|villa|domaine|parvis|mont[ée]e|traverse|rang|clos|ruelle)\b\.?",
    re.IGNORECASE,
)
# Words that end a street or city name, or that are never a name.
_STOP = frozenset(fold(w) for w in """
    a à au aux avec alors aussi bien bonjour bonsoir c ca ça car ce cet cette colibri comment d dans de des
    depuis donc du elle en encore est et il j je l la le les m ma mais me merci mes moi mon n ne ni non nous
    ok on ou où oui par pas plus plutôt pour pourquoi quand que qui quoi s sa se ses si son sont stp suis
    sur svp t ta te tes ton très tu un une vos votre vous y
""".split())
_STREET_GLUE = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "saint", "sainte"})
_INTRO_ANY_CASE = re.compile(  # « je m'appelle X Y »: the next words are a name, whatever their case
    r"\b(?:j(?:e\s*)?m['’]?\s*app?ell?e|je\s+me\s+nomme|mon\s+(?:nom|pr[ée]nom)\s+(?:est|c['’]\s*est)"
    r"|moi\s+c['’]\s*est)\s+",
    re.IGNORECASE,
)
_ON_THE_PHONE = re.compile(rf"\bc['’]?\s*est\s+({_WORD})(?:\s+({_WORD}))?\s+(?:à|a)\s+l['’]\s*appareil",
                           re.IGNORECASE)
_INTRO_CAPITALISED = re.compile(r"\b(?:je\s+suis|de\s+la\s+part\s+de|cordialement,?)\s+", re.IGNORECASE)
_TITLE = re.compile(r"\b(?:madame|monsieur|mademoiselle|mme|mlle|mrs?)\.?\s+", re.IGNORECASE)
_TITLE_CAPITALISED = re.compile(r"\bM\.\s*")  # « M. Martin », not « m. »


@dataclass(frozen=True)
class Span:
    """Replace ``text[start:end]`` by ``replacement``."""

    start: int
    end: int
    replacement: str

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def sanitise(text: str) -> str:
    """Same-length copy of ``text`` safe to annotate and to write as YAML.

    Brackets become parentheses (a customer cannot forge an annotation); control,
    surrogate and line-separator characters become spaces.
    """
    table = {ord("["): "(", ord("]"): ")", 0xFFFE: " ", 0xFFFF: " "}
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") else c for c in text.translate(table)
    )


def _is_stop(word: str, stop: frozenset) -> bool:
    """``word``, or its part before an apostrophe (« c'est », « j'ai »), is in ``stop``."""
    folded = fold(word)
    return folded in stop or folded.split("'")[0] in stop


def _regex_spans(pattern: re.Pattern, text: str, replacement: str) -> Iterator[Span]:
    for match in pattern.finditer(text):
        yield Span(match.start(), match.end(), replacement)


def _identifier_spans(text: str) -> Iterator[Span]:
    """E-mails, order, return, tracking and phone numbers, long numbers: in priority order."""
    yield from _regex_spans(_EMAIL, text, EMAIL)
    yield from _regex_spans(_LOOSE_EMAIL, text, EMAIL)
    for match in _RETURN.finditer(text):
        yield Span(match.start(), match.end(), text[match.start():match.start(1)] + ORDER_DIGITS)
    for match in _ORDER_PREFIXED.finditer(text):  # keep how it was typed: co-100001 -> co-100000
        typed = text[match.start():match.start(1)] + ORDER_DIGITS
        yield Span(match.start(), match.end(), f"[{typed}](order_id)")
    yield from _regex_spans(_TRACKING, text, TRACKING)
    yield from _regex_spans(_PHONE, text, PHONE)
    yield from _regex_spans(_INTL_PHONE, text, PHONE)
    yield from _regex_spans(_SPACED_TRACKING, text, TRACKING)
    yield from _regex_spans(_ORDER_BARE, text, f"[{ORDER_DIGITS}](order_id)")
    yield from _regex_spans(_LONG_NUMBER, text, LONG_NUMBER)


def _words_after(text: str, position: int, limit: int, stop: frozenset) -> List[Tuple[int, int]]:
    """Up to ``limit`` words right after ``position`` (only spaces between), until a stop word."""
    found: List[Tuple[int, int]] = []
    pattern = re.compile(rf"[ \t]*({_WORD}(?:['’]{_WORD})?)")
    while len(found) < limit:
        match = pattern.match(text, position)
        if not match or _is_stop(match.group(1), stop):
            break
        found.append((match.start(1), match.end(1)))
        position = match.end()
    return found


def _address_spans(text: str) -> Iterator[Span]:
    """« 12 rue des Lilas » and « 75011 Paris »."""
    for match in _STREET.finditer(text):
        words = _words_after(text, match.end(), 6, _STOP - _STREET_GLUE)
        yield Span(match.start(), words[-1][1] if words else match.end(), STREET)
    for match in _POSTCODE.finditer(text):
        words = _words_after(text, match.end(), 3, _STOP)
        yield Span(match.start(), match.end(), POSTCODE)
        if words:
            yield Span(words[0][0], words[-1][1], CITY)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_spans(text: str, names: KnownNames) -> Iterator[Span]:
    """Names introduced by a phrase or a title, and the shop's customers' names."""
    for match in _INTRO_ANY_CASE.finditer(text):
        for i, (start, end) in enumerate(_words_after(text, match.end(), 2, _STOP)):
            yield Span(start, end, FIRST_NAME if i == 0 else LAST_NAME)
    for match in _ON_THE_PHONE.finditer(text):
        for i, group in enumerate((1, 2)):
            if match.group(group) and not _is_stop(match.group(group), _STOP):
                yield Span(match.start(group), match.end(group), FIRST_NAME if i == 0 else LAST_NAME)
    for pattern, first_any_case, placeholders in ((_INTRO_CAPITALISED, False, (FIRST_NAME, LAST_NAME)),
                                                   (_TITLE, True, (LAST_NAME, LAST_NAME)),
                                                   (_TITLE_CAPITALISED, False, (LAST_NAME, LAST_NAME))):
        for match in pattern.finditer(text):
            for i, (start, end) in enumerate(_words_after(text, match.end(), 2, _STOP)):
                word = text[start:end]
                if not (_is_capitalised(word) or names.knows(word) or (i == 0 and first_any_case)):
                    break
                yield Span(start, end, placeholders[i])
    yield from _known_name_spans(text, names)


def _known_name_spans(text: str, names: KnownNames) -> Iterator[Span]:
    """Customers' first names in any case; last names capitalised or next to a first name."""
    words = [m for m in _WORD_RE.finditer(text) if not _is_stop(m.group(), _STOP)]
    firsts = {i for i, m in enumerate(words) if names.is_first(m.group())}
    for i, match in enumerate(words):
        next_to_first = any(j in firsts and _adjacent(text, words, min(i, j)) for j in (i - 1, i + 1))
        if i in firsts:
            yield Span(match.start(), match.end(), FIRST_NAME)
        elif names.is_last(match.group()) and (_is_capitalised(match.group()) or next_to_first):
            yield Span(match.start(), match.end(), LAST_NAME)


def _adjacent(text: str, words: Sequence[re.Match], i: int) -> bool:
    """Words ``i`` and ``i + 1`` are separated by spaces only."""
    if i < 0 or i + 1 >= len(words):
        return False
    return not text[words[i].end():words[i + 1].start()].strip()


def _whole_words(text: str, start: int, end: int) -> bool:
    return not (start > 0 and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum())


def _entity_spans(text: str, entities: Iterable[dict]) -> Iterator[Span]:
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if entity.get("entity") in ANNOTATED_ENTITIES and isinstance(start, int) and isinstance(end, int):
            value = text[start:end]
            if 0 <= start < end <= len(text) and value.strip() == value and _whole_words(text, start, end):
                yield Span(start, end, f"[{value}]({entity['entity']})")


def replace_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced by its replacement; of overlapping spans, the first wins."""
    accepted: List[Span] = []
    for span in spans:
        if not any(span.overlaps(other) for other in accepted):
            accepted.append(span)
    pieces, position = [], 0
    for span in sorted(accepted, key=lambda s: s.start):
        pieces += [text[position:span.start], span.replacement]
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)


def mask(text: str, names: Optional[KnownNames] = None, entities: Iterable[dict] = ()) -> str:
    """``text`` with personal data replaced by placeholders, on one line.

    ``entities`` are the model's entities (Rasa's ``parse_data``); those of
    ``ANNOTATED_ENTITIES`` are kept as annotations where nothing was masked.
    """
    text = sanitise(text)
    names = names or KnownNames()
    spans = (*_identifier_spans(text), *_address_spans(text), *_name_spans(text, names),
             *_entity_spans(text, entities))
    return " ".join(replace_spans(text, spans).split())


def dedup_key(masked: str) -> str:
    """What two masked messages share when they are the same: case, spaces and accents aside."""
    return " ".join(fold(masked).split())
