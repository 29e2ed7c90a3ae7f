"""The hostile corpus (``corpus.yml``) and the hypothesis strategies built on it.

Shared by the in-process suite (``tests/hostile``) and the REST suite
(``tests/e2e/test_hostile_rest.py``), which import it as ``hostile.payloads``.
"""

from __future__ import annotations

import json
import os
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

CORPUS_FILE = Path(__file__).with_name("corpus.yml")
SECTIONS = ("texts", "generated", "payloads", "values", "senders", "bodies", "queries")
LONG = "s" * 300  # {long} in the corpus's query strings


def examples(count: int) -> settings:
    """Hypothesis settings for ``count`` examples of a slow property (real database, real
    processes): no deadline, no example database left in the work tree, the same examples
    on every CI run."""
    return settings(max_examples=count, deadline=None, database=None,
                    derandomize=os.environ.get("CI") == "true",
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


@lru_cache(maxsize=1)
def corpus() -> Dict[str, List[Dict[str, Any]]]:
    """The corpus, each entry with its ``value`` built (``unit`` × ``times``)."""
    loaded = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
    for section in SECTIONS:
        for entry in loaded[section]:
            if "unit" in entry:
                entry["value"] = entry["unit"] * entry["times"]
            if "query" in entry and isinstance(entry["query"], str):
                entry["query"] = entry["query"].replace("{long}", LONG)
    return loaded


@cache
def values_of(*sections: str) -> tuple:
    return tuple(entry["value"] for section in sections for entry in corpus()[section])


def body_bytes(entry: Dict[str, Any]) -> bytes:
    """The bytes of a corpus ``bodies`` entry."""
    if "nesting" in entry:
        depth = entry["nesting"]
        return ('{"sender": "hostile-deep", "message": "bonjour", "metadata": '
                + "[" * depth + "]" * depth + "}").encode()
    if "raw_bytes" in entry:
        return entry["raw_bytes"].encode("latin-1")
    if "raw" in entry:
        return entry["raw"].encode("utf-8")
    return json.dumps(entry["json"]).encode("utf-8")


# --- strategies ---------------------------------------------------------------------------

REAL = (
    *(f"CO10000{n}" for n in range(1, 9)), "co-100003", "100005", "CO999999", "RET-100001", "RET-100002",
    "camille.martin@example.fr", "lucas.bernard@example.fr", "emma.petit@example.fr", "x@y.fr",
    "6A10000000001", "6A10000000006", "06 12 34 56 78", "+33 6 12 34 56 78", "robe", "chaussures",
    "4", "1", "5/5", "matin", "soir", "damaged", "wrong_item", "Julie",
)
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u202e\u202d\u200f\u00a0\u0000\u0001\u001b\u007f"
PIECES = (  # fragments glued to real-looking values
    "CO100001", "CO100003", "co-100005", "100006", "RET-100001", "6A10000000001",
    "camille.martin@example.fr", "lucas.bernard@example.fr", "06 12 34 56 78",
    "12 rue des Lilas 69003 Lyon", "oui", "non", "4/5", "⭐⭐", "stop", "conseiller",
    "' OR 1=1 --", "'; DROP TABLE orders;--", "<script>", "{order_id}", "%s", "0[", "\\", "\"",
    "{", "}", "/", "@", "😀", "\u202e", "\u0000",
)


@cache
def real_values() -> st.SearchStrategy[str]:
    """Values that mean something to the shop (the contract's demo data), for hostile
    inputs to reach the code behind the checks."""
    return st.sampled_from(REAL)


def hostile_texts(max_size: int = 200) -> st.SearchStrategy[str]:
    """What a customer may type: the corpus, arbitrary Unicode (no lone surrogates),
    invisible and control characters, and real values glued to injections."""
    return st.one_of(
        st.sampled_from(values_of("texts", "generated", "payloads")),
        st.text(max_size=max_size),
        st.text(alphabet=st.sampled_from(INVISIBLE + "CO1000 @.exampl"), max_size=40),
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map(" ".join),
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join),
    )


@cache
def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """Any value a JSON payload can carry: wrong types, nesting, hostile strings."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
        hostile_texts(60), st.sampled_from(values_of("values")), real_values(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=max_leaves,
    )


@cache
def sender_ids() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values_of("senders")), st.text(max_size=40),
                     st.uuids().map(lambda u: f"hostile-{u.hex[:12]}"))
