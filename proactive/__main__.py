"""``python -m proactive delivered CO100006``: tells Colibri an order was delivered.

Prints the outcome as JSON; exit code 0 when sent or deliberately skipped, 1 when Rasa
could not be reached, 2 for a bad order number or an unknown order. Reads
``DATABASE_URL``, ``RASA_URL`` and ``RASA_AUTH_TOKEN`` like the servers.
"""

from __future__ import annotations

import argparse
import json
import sys

from proactive.delivered import notify_delivered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proactive", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    delivered = commands.add_parser("delivered", help="an order was delivered: ask the customer")
    delivered.add_argument("order_id", help="the order number, e.g. CO100006")
    args = parser.parse_args(argv)
    outcome = notify_delivered(args.order_id)
    print(json.dumps(outcome.to_json(), ensure_ascii=False))
    if outcome.status in ("invalid", "unknown_order"):
        return 2
    return 1 if outcome.status == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
