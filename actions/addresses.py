"""Reading a French postal address the way customers type it.

« 12 rue des Lilas 69003 Lyon », « 12 rue des lilas, 69003 lyon », or one part
at a time: a street, a postcode, a city. A customer may also correct one part:
« non, le code postal c'est 69007 », « la ville c'est Villeurbanne ».
"""

from __future__ import annotations

import re
from typing import Dict, Optional

PARTS = ("new_street", "new_postcode", "new_city")  # the form's slots, in the order asked
MAX_TEXT = 300

POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$", re.ASCII)
_POSTCODE_IN = re.compile(r"(?<![\d\w-])(\d{5})(?![\d\w])")
_STREET_WORDS = (r"rue|avenue|av\.?|boulevard|bd|chemin|all[ée]e|place|impasse|route|quai|cours|square"
                 r"|voie|lotissement|r[ée]sidence|passage|sentier|hameau|lieu[- ]dit|rond[- ]point|faubourg")
_STREET = re.compile(rf"\b(\d{{1,4}}\s*(?:bis|ter|[a-d])?\s*,?\s*(?:{_STREET_WORDS})\b[^\d\n,;]*)", re.I)
_FULL = re.compile(rf"(\d{{1,4}}\s*(?:bis|ter|[a-d])?\s*,?\s*(?:{_STREET_WORDS})\b.*?)[\s,;-]+(\d{{5}})"
                   r"[\s,;-]+([^\W\d_][\w' -]*?)[\s.!]*$", re.I)
_CITY_SAID = re.compile(r"\b(?:ville|commune|localit[ée])\b\s*(?:c'est|c est|est|:|=|de)?\s*"
                        r"([^\W\d_][\w' -]*?)[\s.!]*$", re.I)
_AFTER_POSTCODE = re.compile(r"\d{5}[\s,;-]+([^\W\d_][\w' -]*?)[\s.!]*$")
_FILLER = re.compile(r"^(?:(?:non|oui|ok|alors|donc|euh|en fait|plutôt|plutot)\b[\s,.!]*)*"
                     r"(?:(?:ma |la |le |mon )?(?:nouvelle |bonne )?(?:adresse|rue|ville|code postal|cp)\b"
                     r"(?: de livraison)?\s*(?:c'est|c est|est|:|=|serait)?\s*)?"
                     r"(?:c'est|c est|au|à|a|le|la)?\s+", re.I)


def _tidy(text: str) -> str:
    """``text`` without surrounding spaces, quotes and final punctuation, single-spaced."""
    return re.sub(r"\s+", " ", text).strip(" \t\"'«».!,;:")


_STREET_WORD = re.compile(rf"\b(?:{_STREET_WORDS})\b", re.I)


def valid_street(value: str) -> bool:
    """A number or a street word, some letters, no e-mail address."""
    return (3 <= len(value) <= 200 and "@" not in value and bool(re.search(r"[^\W\d_]{2,}", value))
            and bool(re.search(r"\d", value) or _STREET_WORD.search(value)))


def valid_postcode(value: str) -> bool:
    return bool(POSTCODE.match(value))


def valid_city(value: str) -> bool:
    return 1 <= len(value) <= 100 and bool(re.fullmatch(r"[^\W\d_][\w' -]*", value))


def city_name(value: str) -> str:
    """``saint-étienne`` -> ``Saint-Étienne``; a name typed with capitals is kept."""
    return value if any(c.isupper() for c in value) else "-".join(
        " ".join(w.capitalize() for w in part.split(" ")) for part in value.split("-"))


def read(text: object, asked: Optional[str] = None) -> Dict[str, str]:
    """The address parts found in ``text``, keyed by slot name (``PARTS``).

    A whole address, a street with its number, a postcode, or a city named as
    such are always found; ``asked`` (the part just asked for) lets a bare answer
    such as « Villeurbanne » or « 3 allée des Roses » count as that part.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return {}
    text = _tidy(text)
    full = _FULL.search(text)
    if full:
        return {"new_street": _tidy(full.group(1)), "new_postcode": full.group(2),
                "new_city": city_name(_tidy(full.group(3)))}
    found: Dict[str, str] = {}
    street = _STREET.search(text)
    if street:
        found["new_street"] = _tidy(street.group(1))
    postcodes = set(_POSTCODE_IN.findall(text))
    if len(postcodes) == 1:
        found["new_postcode"] = postcodes.pop()
        after = _AFTER_POSTCODE.search(text)
        if after:
            found["new_city"] = city_name(_tidy(after.group(1)))
    said = _CITY_SAID.search(text)
    if said and "new_city" not in found:
        found["new_city"] = city_name(_tidy(said.group(1)))
    if asked in PARTS and asked not in found and not found:
        bare = _tidy(_FILLER.sub("", " " + text, count=1))
        if asked == "new_city" and valid_city(bare):
            found[asked] = city_name(bare)
        elif asked == "new_street" and valid_street(bare) and not _POSTCODE_IN.search(bare):
            found[asked] = bare
    return found


def one_line(street: str, postcode: str, city: str) -> str:
    """``12 rue des Lilas, 69003 Lyon``."""
    return f"{street}, {postcode} {city}"
