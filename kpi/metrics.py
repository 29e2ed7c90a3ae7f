"""The KPIs, computed from conversations (``kpi.conversations``) by pure functions.

Every figure is about the conversations of the period and channel: those whose first
customer message falls in the period, on that channel. Rates are fractions rounded to
3 decimals (0.1 %), times in seconds rounded to 0.01 s, a CSAT mean to 0.01; a rate
whose denominator is 0 is ``None``. Exact definitions: docs/kpi.md.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence

from kpi import labels
from kpi.conversations import Conversation
from kpi.period import TIMEZONE, Bucket, Period
from trainers.masking import mask
from trainers.nlu_yaml import Inbox
from trainers.shop_names import KnownNames

ACTIVE_MIN_CONVERSATIONS = 2  # an active customer: at least 2 conversations in the period (or step)
ENGAGED_MIN_MESSAGES = 5  # an engaged customer: at least 5 messages in the period (or step)
TOP = 10  # entries of the top requests and top misunderstood messages
NOT_UNDERSTOOD = "not_understood"  # the handoff reason of a conversation Colibri did not understand
CONFUSION_KINDS = ("fallback", "rephrase", "out_of_scope")
_ANNOTATION = re.compile(r"\[([^\]\n]+)\]\(\w+\)")

History = Dict[str, List[Conversation]]  # sender -> conversations in time order


def rate(part: int, whole: int) -> Optional[float]:
    """``part / whole`` rounded to 3 decimals; None when ``whole`` is 0."""
    return round(part / whole, 3) if whole else None


def percentile(values: Sequence[float], p: int) -> Optional[float]:
    """The ``p``-th percentile by the nearest-rank method; None without values.

    The smallest value such that at least ``p`` % of the values are less or equal:
    ``sorted(values)[ceil(p * n / 100) - 1]``, always one of the measured values.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


def _seconds(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 2)


def shown(text: str, names: Optional[KnownNames]) -> str:
    """A customer's words fit for the report: personal data masked as in the trainers' inbox."""
    return _ANNOTATION.sub(r"\1", mask(text, names))


def for_channel(history: History, channel: Optional[str]) -> History:
    """Only the conversations of ``channel`` (all for None)."""
    if channel is None:
        return history
    kept = {sender: [c for c in items if c.channel == channel] for sender, items in history.items()}
    return {sender: items for sender, items in kept.items() if items}


def between(history: History, since: float, until: float) -> List[Conversation]:
    """The conversations begun in ``[since, until)``, in time order."""
    found = [c for items in history.values() for c in items if since <= c.started_at < until]
    return sorted(found, key=lambda c: (c.started_at, c.sender_id))


def usage(history: History, since: float, until: float) -> Dict[str, int]:
    """Conversations, distinct, new, active and engaged customers, customer messages."""
    conversations = between(history, since, until)
    per_customer = Counter(c.sender_id for c in conversations)
    messages = Counter()
    for conversation in conversations:
        messages[conversation.sender_id] += conversation.messages
    return {
        "conversations": len(conversations),
        "customers": len(per_customer),
        "new_customers": sum(1 for s in per_customer if since <= history[s][0].started_at < until),
        "active_customers": sum(1 for n in per_customer.values() if n >= ACTIVE_MIN_CONVERSATIONS),
        "engaged_customers": sum(1 for n in messages.values() if n >= ENGAGED_MIN_MESSAGES),
        "customer_messages": sum(messages.values()),
    }


def retention(history: History, since: float, until: float, horizon: float) -> Dict[str, Any]:
    """Of the customers whose first conversation ever began in ``[since, until)``, those
    who had another one before ``horizon`` (the end of the period)."""
    cohort = [items for items in history.values() if since <= items[0].started_at < until]
    returned = sum(1 for items in cohort if len(items) > 1 and items[1].started_at < horizon)
    return {"new_customers": len(cohort), "returned": returned, "rate": rate(returned, len(cohort))}


def response_time(conversations: Iterable[Conversation]) -> Dict[str, Any]:
    """Answered customer messages; p50, p95 and max of the time to Colibri's first reply."""
    values = [t for c in conversations for t in c.response_times]
    return {"messages": len(values), "p50": _seconds(percentile(values, 50)),
            "p95": _seconds(percentile(values, 95)), "max": _seconds(max(values) if values else None)}


def response_time_per_channel(conversations: List[Conversation]) -> List[Dict[str, Any]]:
    known = list(labels.CHANNELS)
    channels = sorted({c.channel for c in conversations},
                      key=lambda name: (known.index(name) if name in known else len(known), name))
    return [{"channel": name, "label": labels.channel(name),
             **response_time(c for c in conversations if c.channel == name)} for name in channels]


def confusion(conversations: List[Conversation]) -> Dict[str, Any]:
    """Conversations with a fallback, a rephrase request or an out-of-scope answer; of those,
    the ones handed to an advisor because Colibri did not understand."""
    confused = [c for c in conversations if c.confusion]
    redirected = sum(1 for c in confused if any(h.reason == NOT_UNDERSTOOD for h in c.handoffs))
    figures: Dict[str, Any] = {"conversations": len(conversations), "confused": len(confused),
                               "rate": rate(len(confused), len(conversations))}
    for kind in CONFUSION_KINDS:
        figures[kind] = sum(1 for c in conversations if kind in c.confusion)
    figures.update(redirected=redirected, redirected_rate=rate(redirected, len(confused)))
    return figures


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, TIMEZONE).strftime("%Y-%m-%d %H:%M")


def satisfaction(conversations: List[Conversation], names: Optional[KnownNames] = None) -> Dict[str, Any]:
    """Surveys asked, ratings, response rate, mean, distribution, comments (newest first)."""
    ratings = sorted((r for c in conversations for r in c.ratings), key=lambda r: -r.created_at)
    surveys = sum(c.surveys for c in conversations)
    counts = Counter(r.rating for r in ratings)
    comments = [{"date": _when(r.created_at), "channel": r.channel, "rating": r.rating, "request": r.request,
                 "request_label": labels.survey_request(r.request), "comment": shown(r.comment, names)}
                for r in ratings if r.comment and r.comment.strip()]
    return {
        "surveys": surveys,
        "ratings": len(ratings),
        "response_rate": rate(len(ratings), surveys),
        "mean": round(sum(r.rating for r in ratings) / len(ratings), 2) if ratings else None,
        "distribution": [{"rating": score, "count": counts.get(score, 0)} for score in range(1, 6)],
        "comments": comments,
    }


def handoffs(conversations: List[Conversation]) -> Dict[str, Any]:
    """Containment (no advisor) and handoff rates, handoffs by reason."""
    handed = sum(1 for c in conversations if c.handoffs)
    reasons = Counter(h.reason for c in conversations for h in c.handoffs)
    return {
        "conversations": len(conversations),
        "contained": len(conversations) - handed,
        "containment_rate": rate(len(conversations) - handed, len(conversations)),
        "handed_off": handed,
        "handoff_rate": rate(handed, len(conversations)),
        "handoffs": sum(reasons.values()),
        "reasons": [{"reason": reason, "label": labels.handoff_reason(reason), "count": count}
                    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))],
    }


def top_requests(conversations: List[Conversation]) -> List[Dict[str, Any]]:
    """The requests made in the most conversations."""
    counts = Counter(r for c in conversations for r in c.requests)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [{"request": name, "label": labels.request(name), "conversations": count,
             "share": rate(count, len(conversations))} for name, count in ranked]


def top_misunderstood(conversations: List[Conversation], names: Optional[KnownNames] = None) -> List[Dict]:
    """The messages Colibri missed most often (trainers.selection), masked and merged."""
    inbox = Inbox()
    for conversation in conversations:
        for turn in conversation.missed:
            prediction = turn.prediction
            inbox.add(mask(turn.text, names, turn.entities), prediction.guess or "",
                      prediction.intent or "", prediction.confidence, turn.reasons)
    ranked = sorted(inbox.examples.values(), key=lambda e: (-e.count, e.text))[:TOP]
    return [{"text": _ANNOTATION.sub(r"\1", e.text), "count": e.count, "reasons": e.reason_list(),
             "reason_labels": [labels.MISSED_REASONS.get(r, r) for r in e.reason_list()],
             "guess": e.intent, "guess_label": labels.request(e.intent) if e.intent else ""}
            for e in ranked]


def _step(history: History, bucket: Bucket, horizon: float) -> Dict[str, Any]:
    since, until = bucket.since, bucket.until
    conversations = between(history, since, until)
    times, kept = response_time(conversations), retention(history, since, until, horizon)
    satisfied = satisfaction(conversations)
    handed = handoffs(conversations)
    return {**bucket.as_dict(), **usage(history, since, until),
            "returned": kept["returned"], "retention_rate": kept["rate"],
            "answered_messages": times["messages"], "response_p50": times["p50"],
            "response_p95": times["p95"], "response_max": times["max"],
            "confusion_rate": confusion(conversations)["rate"],
            "ratings": satisfied["ratings"], "csat_mean": satisfied["mean"],
            "containment_rate": handed["containment_rate"], "handoff_rate": handed["handoff_rate"]}


def compute(history: History, period: Period, names: Optional[KnownNames] = None) -> Dict[str, Any]:
    """The whole report for ``period`` from every customer's conversations (history included:
    it tells new customers from returning ones)."""
    history = for_channel(history, period.channel)
    since, until = period.since, period.until
    conversations = between(history, since, until)

    def cohorts(granularity: str) -> List[Dict[str, Any]]:
        return [{**b.as_dict(), **retention(history, b.since, b.until, until)}
                for b in period.buckets(granularity)]

    handed = handoffs(conversations)
    return {
        "period": period.as_dict(),
        "usage": usage(history, since, until),
        "retention": {**retention(history, since, until, until),
                      "months": cohorts("month"), "quarters": cohorts("quarter")},
        "response_time": {**response_time(conversations),
                          "channels": response_time_per_channel(conversations)},
        "confusion": confusion(conversations),
        "satisfaction": satisfaction(conversations, names),
        "containment": {k: handed[k] for k in ("conversations", "contained", "containment_rate")},
        "handoffs": {k: handed[k] for k in ("handed_off", "handoff_rate", "handoffs", "reasons")},
        "top_requests": top_requests(conversations),
        "top_misunderstood": top_misunderstood(conversations, names),
        "series": [_step(history, bucket, until) for bucket in period.buckets()],
    }
