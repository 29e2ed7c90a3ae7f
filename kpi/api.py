"""The dashboard's JSON: ``GET /desk/api/kpi?from=AAAA-MM-JJ&to=AAAA-MM-JJ&channel=…``.

The same report as the CLI (``kpi.report.build``), for the desk's API (advisors signed in).
Bad parameters answer 400, a database out of reach 503, each with a French ``error``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Dict, Tuple
from urllib.parse import parse_qs

from kpi.period import Period, PeriodError
from kpi.report import KpiError, build

logger = logging.getLogger(__name__)


def answer(query: str) -> Tuple[int, Dict[str, Any]]:
    """``(status, body)`` for the query string of a request."""
    params = parse_qs(query, keep_blank_values=True)

    def param(name: str) -> str:
        return (params.get(name) or [""])[0][:40]

    try:
        period = Period.parse(param("from"), param("to"), param("channel"))
    except PeriodError as error:
        return HTTPStatus.BAD_REQUEST, {"error": str(error)}
    try:
        return HTTPStatus.OK, build(period)
    except KpiError as error:
        logger.warning("KPI report unavailable: %s", error)
        return HTTPStatus.SERVICE_UNAVAILABLE, {"error": "indicateurs indisponibles : les données de Colibri "
                                                         "ne sont pas joignables, réessayez plus tard"}
