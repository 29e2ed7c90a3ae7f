"""``python -m privacy``: the retention job and erasure on request (docs/privacy.md).

``retention [--days N] [--dry-run]`` forgets the conversations whose last event is more than
N days old (``RETENTION_DAYS``, else 365) and prints the counts per table. ``erase --email X
--conversation ID …`` forgets everything about a customer and prints a JSON report. Both
read Rasa's SQL tracker store (``--tracker-url``, else ``TRACKER_STORE_URL``, else
endpoints.yml) and the project's database (``DATABASE_URL``). Problems are one line on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from privacy.erasure import run_erasure
from privacy.retention import DEFAULT_DAYS, ENV_DAYS, days_from_env, run_retention
from privacy.stores import PrivacyError
from trainers.tracker_source import ENV_URL

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2, as for the other problems
        self.exit(USAGE_ERROR, f"privacy : erreur : {message} (python -m privacy --help)\n")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = _Parser(prog="python -m privacy",
                     description="Données personnelles : rétention et effacement (docs/privacy.md).")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--tracker-url", help="URL SQLAlchemy du tracker store de Rasa "
                                              f"(défaut : ${ENV_URL}, sinon endpoints.yml)")
    common.add_argument("--dry-run", action="store_true",
                        help="compter sans rien modifier (la transaction est annulée)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    retention = commands.add_parser("retention", parents=[common],
                                    help="oublier les conversations de plus de N jours")
    retention.add_argument("--days", type=int, metavar="N",
                           help=f"âge du dernier événement, en jours "
                                f"(défaut : ${ENV_DAYS}, sinon {DEFAULT_DAYS})")
    erase = commands.add_parser("erase", parents=[common], help="effacer tout ce qui concerne un client")
    erase.add_argument("--email", action="append", default=[], metavar="ADRESSE",
                       help="l'adresse e-mail du client (répétable)")
    erase.add_argument("--conversation", action="append", default=[], metavar="SENDER_ID",
                       help="un identifiant de conversation de Rasa (répétable)")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "retention":
            days = args.days if args.days is not None else days_from_env()
            report = run_retention(days, args.dry_run, args.tracker_url)
            print(f"Rétention : conversations dont le dernier événement a plus de {days} jours "
                  f"(avant {report.scope['before']})")
            sys.stdout.write(report.render())
        else:
            report = run_erasure(args.email, args.conversation, args.dry_run, args.tracker_url)
            print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    except PrivacyError as error:
        print(f"privacy : erreur : {error}", file=sys.stderr)
        return USAGE_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
