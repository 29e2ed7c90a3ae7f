"""``python -m kpi`` (``make kpi``): Colibri's KPIs for a period and a channel, printed and as CSV.

Reads Rasa's SQL tracker store (``--tracker-url``, else ``TRACKER_STORE_URL``, else
endpoints.yml) and the project's database (``DATABASE_URL``). Problems are one line on
stderr and exit code 2. Definitions: docs/kpi.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from actions.settings import Settings
from kpi import csv_files, table
from kpi.period import CHANNELS, DEFAULT_DAYS, Period, PeriodError
from kpi.report import KpiError, build
from trainers.tracker_source import ENV_URL, ROOT

DEFAULT_OUT = ROOT / "results" / "kpi"
USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2, as for the other problems
        self.exit(USAGE_ERROR, f"kpi : erreur : {message} (python -m kpi --help)\n")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = _Parser(prog="python -m kpi", description="Indicateurs clés de Colibri (docs/kpi.md).")
    parser.add_argument("--from", dest="start", metavar="AAAA-MM-JJ",
                        help=f"premier jour inclus (défaut : les {DEFAULT_DAYS} jours jusqu'à --to)")
    parser.add_argument("--to", dest="end", metavar="AAAA-MM-JJ",
                        help="dernier jour inclus (défaut : aujourd'hui)")
    parser.add_argument("--channel", metavar="CANAL", help=f"{', '.join(CHANNELS)} (défaut : tous)")
    parser.add_argument("--tracker-url", help="URL SQLAlchemy du tracker store de Rasa "
                                              f"(défaut : ${ENV_URL}, sinon endpoints.yml)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"dossier des CSV (défaut : {DEFAULT_OUT})")
    return parser.parse_args(argv)


def check_database() -> None:
    """A missing SQLite file is an error here, not a new empty database."""
    url = Settings.from_env().database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise KpiError(f"DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).is_file():
        raise KpiError(f"no SQLite database at {parsed.database} (DATABASE_URL; `make db` creates it)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        period = Period.parse(args.start, args.end, args.channel)
        check_database()
        report = build(period, args.tracker_url)
    except (PeriodError, KpiError) as error:
        print(f"kpi : erreur : {error}", file=sys.stderr)
        return USAGE_ERROR
    try:
        paths: List[Path] = csv_files.write(report, args.out)
    except OSError as error:
        print(f"kpi : erreur : {args.out}: {error.strerror or error}", file=sys.stderr)
        return USAGE_ERROR
    sys.stdout.write(table.render(report))
    print("\nCSV : " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
