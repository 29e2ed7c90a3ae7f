"""Turns what customers type into the contract's formats, or ``None``.

Order numbers: ``co-100001``, ``CO 100001``, ``commande 100001`` -> ``CO100001``.
E-mails are lower-cased; phone numbers become ``06 12 34 56 78``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

MAX_INPUT = 500  # longer values are not identifiers; never scan huge texts

_ORDER_PREFIXED = re.compile(r"(?<![A-Za-z0-9])co[\s\-_.#°n]*(\d{6})(?!\d)", re.IGNORECASE | re.ASCII)
_ORDER_BARE = re.compile(r"(?<![\d\w-])(\d{6})(?![\d\w])", re.ASCII)  # not RET-100001
_RETURN = re.compile(r"(?<![A-Za-z0-9])ret[\s\-_]*(\d{6})(?!\d)", re.IGNORECASE | re.ASCII)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", re.ASCII)
_TRACKING = re.compile(r"(?<![A-Za-z0-9])([0-9A-Za-z]{2}\d{11})(?![A-Za-z0-9])", re.ASCII)
_PHONE = re.compile(r"(?:\+33|0033|\b0)\s*\(?0?\)?[\s.\-]*([1-9](?:[\s.\-]*\d){8})\b", re.ASCII)


def _clean(value: object) -> Optional[str]:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_INPUT:
        return None
    return value


def order_id(value: object) -> Optional[str]:
    """The order number in ``value`` as ``CO`` + 6 digits, if there is exactly one."""
    text = _clean(value)
    if text is None:
        return None
    found = {m for m in _ORDER_PREFIXED.findall(text)}
    if not found:
        found = set(_ORDER_BARE.findall(text))
    if len(found) != 1:
        return None
    return f"CO{found.pop()}"


def return_number(value: object) -> Optional[str]:
    """The return number in ``value`` as ``RET-`` + 6 digits, if there is exactly one."""
    text = _clean(value)
    found = set(_RETURN.findall(text)) if text else set()
    return f"RET-{found.pop()}" if len(found) == 1 else None


def email(value: object) -> Optional[str]:
    """The e-mail address in ``value``, lower-cased, if there is exactly one."""
    text = _clean(value)
    if text is None:
        return None
    found = {m.lower().rstrip(".") for m in _EMAIL.findall(text)}
    if len(found) != 1:
        return None
    address = found.pop()
    local, _, domain = address.partition("@")
    if len(address) > 254 or len(local) > 64 or ".." in address or local.startswith("."):
        return None
    return address


def tracking_number(value: object) -> Optional[str]:
    """The Colissimo tracking number in ``value``, upper-cased."""
    text = _clean(value)
    if text is None:
        return None
    found = {m.upper() for m in _TRACKING.findall(text)}
    if not found:  # "6A 1000 0000 001": typed with spaces
        found = {m.upper() for m in _TRACKING.findall(text.replace(" ", ""))}
    return found.pop() if len(found) == 1 else None


def phone_number(value: object) -> Optional[str]:
    """A French phone number as ``06 12 34 56 78``."""
    text = _clean(value)
    if text is None:
        return None
    match = _PHONE.search(text)
    if not match:
        return None
    digits = "0" + re.sub(r"\D", "", match.group(1))
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def fold(text: str) -> str:
    """Lower case without accents: ``Abîmé`` -> ``abime``."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_NOT = r"(?<!pas )(?<!plus )(?<!jamais )"  # "pas abîmé" is not a reason
_REASONS = (  # checked in this order: the shop's fault first
    ("wrong_item", r"mauvais (?:article|produit|modele|colis)"
                   r"|pas (?:le bon|la bonne|l'article|le produit|ce que j|celui|celle)"
                   r"|autre (?:article|chose|produit)|(?:article|produit) different"
                   r"|erreur d'(?:article|envoi)|pas commande|inverse"),
    ("damaged", _NOT + r"(?:abime|casse|defectueu|defaut|endommage|dechire|troue|tache|raye|fele"
                r"|en panne|hs\b)|(?:marche|fonctionne|s'allume|charge) (?:pas|plus)"
                r"|ne (?:marche|fonctionne)"),
    ("wrong_size", r"taille|trop (?:petit|grand|large|serre|court|long|juste)|pointure"
                   r"|ne me va pas|me va pas"),
    ("not_as_described", r"conforme|description|photo|pas comme|ne correspond|pas pareil|qualite|couleur"
                         r"|pas ce qui (?:etait|est) (?:annonce|indique|decrit)"),
    ("changed_mind", r"avis|plai[ts] pas|plu pas|plus besoin|plus envie|retract|pas convaincu|finalement"
                     r"|ne (?:me|m'en) sert|plus utile"),
)
_REASON_PATTERNS = tuple((reason, re.compile(pattern)) for reason, pattern in _REASONS)


def return_reason(value: object) -> Optional[str]:
    """The return reason a customer describes (``returns.REASONS``), or ``None``.

    « c'est trop petit » -> ``wrong_size``; « il est arrivé cassé » -> ``damaged``.
    """
    text = _clean(value)
    if text is None:
        return None
    folded = fold(text)
    for reason, pattern in _REASON_PATTERNS:
        if pattern.search(folded):
            return reason
    return None
