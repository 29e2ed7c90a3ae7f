"""``python -m trainers.inbox``: what Colibri missed, as Rasa NLU data to annotate.

Reads Rasa's SQL tracker store (read-only, streamed), selects the customer
messages Colibri missed (``trainers.selection``), masks personal data
(``trainers.masking``), deduplicates them and writes ``results/inbox/nlu_inbox.yml``.
The tracker store is ``--tracker-url``, else ``TRACKER_STORE_URL``, else the
``tracker_store`` of ``endpoints.yml``. Customers' names are read from the shop's
database (``DATABASE_URL``) when it is reachable.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from trainers import nlu_yaml, shop_names, tracker_source
from trainers.masking import mask
from trainers.readonly_db import InboxError, describe, read_only_engine
from trainers.selection import OUT_OF_SCOPE, REASONS, Thresholds, missed_turns
from trainers.shop_names import KnownNames

ROOT = tracker_source.ROOT
DEFAULT_OUT = ROOT / "results" / "inbox" / "nlu_inbox.yml"
MAX_TEXT = 500  # longer messages (pasted e-mails, junk) are not training examples


@dataclass
class Summary:
    """What an export read and wrote."""

    out: Path
    conversations: int = 0
    user_messages: int = 0
    too_long: int = 0
    customers_known: Optional[int] = None  # names from the shop's database; None: not reachable
    inbox: nlu_yaml.Inbox = field(default_factory=nlu_yaml.Inbox)

    def lines(self) -> List[str]:
        examples = self.inbox.examples.values()
        lines = [f"Read {self.conversations} conversation(s), {self.user_messages} customer message(s).",
                 f"Exported {len(examples)} distinct message(s) ({sum(e.count for e in examples)} in all) "
                 f"to {self.out}:"]
        for reason, counts in self.inbox.per_reason().items():
            lines.append(f"  {reason:<15} {counts['examples']:>5} distinct, {counts['messages']:>5} in all")
        if self.too_long:
            lines.append(f"Skipped {self.too_long} missed message(s) longer than {MAX_TEXT} characters.")
        lines.append("Customer names from the shop's database: "
                     + (f"masked ({self.customers_known} customers)." if self.customers_known is not None
                        else "not reachable; only introduced names and titles were masked."))
        return lines


def _counting(events: Iterable[Dict[str, Any]], summary: Summary) -> Iterator[Dict[str, Any]]:
    for event in events:
        if event.get("event") == "user":
            summary.user_messages += 1
        yield event


def export(tracker_url: str, out: Path = DEFAULT_OUT, since_days: Optional[float] = None,
           thresholds: Optional[Thresholds] = None, names: Optional[KnownNames] = None,
           senders: Optional[Sequence[str]] = None) -> Summary:
    """Writes the inbox file from the tracker store at ``tracker_url``; what it did.

    ``senders`` limits the export to those conversations (tests).
    """
    thresholds = thresholds or Thresholds.from_config(ROOT / "config.yml")
    summary = Summary(out, customers_known=names.customers if names is not None else None)
    engine = read_only_engine(tracker_url)
    try:
        for _sender, events in tracker_source.conversations(engine, since_days,
                                                            tuple(senders) if senders is not None else None):
            summary.conversations += 1
            for turn in missed_turns(_counting(events, summary), thresholds):
                if len(turn.text) > MAX_TEXT:
                    summary.too_long += 1
                    continue
                prediction = turn.prediction
                summary.inbox.add(mask(turn.text, names, turn.entities), prediction.guess or OUT_OF_SCOPE,
                                  prediction.intent or "", prediction.confidence, turn.reasons)
    finally:
        engine.dispose()
    nlu_yaml.write(summary.inbox, out, _header(summary, since_days, thresholds))
    return summary


def _header(summary: Summary, since_days: Optional[float], thresholds: Thresholds) -> List[str]:
    period = f"the last {since_days:g} day(s)" if since_days is not None else "all time"
    return [
        f"Colibri's NLU inbox, exported on {date.today().isoformat()} by `make inbox` "
        f"from {summary.conversations} conversation(s), {period}.",
        f"Reasons: {', '.join(REASONS)}",
        f"(thresholds: confidence {thresholds.confidence:g}, ambiguity {thresholds.ambiguity:g}). "
        "Personal data is masked.",
        "Each example is filed under the intent Colibri guessed: move it to the right intent, fix its",
        "entities, delete what is not worth learning, then append the file to data/nlu/ (docs/nlu.md).",
    ]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m trainers.inbox", description=__doc__.splitlines()[0])
    parser.add_argument("--tracker-url", help="SQLAlchemy URL of Rasa's SQL tracker store "
                                              f"(default: ${tracker_source.ENV_URL}, else endpoints.yml)")
    parser.add_argument("--since", type=float, metavar="DAYS", help="only events of the last DAYS days")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if args.since is not None and args.since <= 0:
        parser.error("--since must be a positive number of days")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        url = tracker_source.resolve_url(args.tracker_url)
        print(f"Tracker store: {describe(url)}")
        summary = export(url, args.out, args.since, names=shop_names.load())
    except InboxError as error:
        print(f"inbox: {error}", file=sys.stderr)
        if "no SQLite database" in str(error):
            print("inbox: no conversation recorded yet? The Rasa server of `make run` creates it.",
                  file=sys.stderr)
        return 1
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
