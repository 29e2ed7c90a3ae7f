"""Local stand-in for La Poste's tracking API, "Suivi" v2 (standard library only).

Run it from the repository's root, then point the action server at it::

    python -m simulators.laposte --host 127.0.0.1 --port 8091 --key dev-key
    CARRIER_API_URL=http://127.0.0.1:8091 CARRIER_API_KEY=dev-key

Tests use ``start_in_thread()`` and ``server.stop()``.

Contract followed (developer.laposte.fr, catalog-apis/suivi@2; OpenAPI "Swagger
SUIVI"): ``GET /suivi/v2/idships/{idShip}?lang=fr_FR`` with ``X-Okapi-Key``.

- 401, JSON ``{"code", "message"}``: key missing or wrong (checked first);
- 400, ``{lang, scope, returnCode: 400, returnMessage, idShip}``: the id is not
  11 to 15 letters or digits (lists of ids, which La Poste answers with 207,
  are not simulated and get 400 too);
- 404, ``{lang, scope, returnCode: 104, returnMessage, idShip}``: unknown id;
- 200, ``{lang: "fr_FR", scope: "open", returnCode: 200, shipment}``, the shipment
  holding ``idShip``, ``holder`` (4, Colissimo), ``product``, ``isFinal``,
  ``entryDate``, ``deliveryDate`` (delivered) or ``estimDate`` (in transit),
  ``timeline`` (5 steps: ``id``, ``shortLabel``, ``longLabel``, ``status``,
  ``type``, ``date``, ``country``), ``event`` (most recent first: ``order``,
  ``code``, ``label``, ``date``), ``contextData`` and ``url``.

Parcels mirror the shop's demo data (``actions.seed``), dated from ``today``:
6A10000000001 in transit (taken over 1 day ago, at the sorting centre, expected
in 2 days); 6A10000000005 delayed by an incident (shipped 4 days ago, latest
event PB1); 6A10000000002, 04, 06, 07 and 08 delivered 5, 45, 3, 20 and 10 days
ago (DI1, final).

Faults, for tests, at run time: ``fail_next(n, status)`` answers ``status`` to
the next ``n`` requests (``fail_always()`` to all), ``malform_next(n)`` sends a
truncated JSON body, ``set_delay(seconds)`` waits before answering; ``reset()``
clears them and the counters. ``requests_received`` counts every request,
``last_path`` and ``last_headers`` describe the latest one.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import re
import threading
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulators import LoopbackServer

logger = logging.getLogger(__name__)

PATH_PREFIX = "/suivi/v2/idships/"
ID_FORMAT = re.compile(r"[0-9A-Za-z]{11,15}")
TRACKING_PAGE = "https://www.laposte.fr/outils/suivre-vos-envois?code="

LABELS = {
    "DR1": "Votre colis est prêt à être expédié. Il n'est pas encore pris en charge par La Poste.",
    "PC1": "Votre colis est pris en charge par La Poste. Il est en cours d'acheminement.",
    "ET1": "Votre colis est en cours de traitement sur notre plateforme de tri.",
    "ET1_ARRIVED": "Votre colis est arrivé sur son site de distribution.",
    "PB1": (
        "Votre colis a pris du retard suite à un incident technique. "
        "Il sera livré dans les meilleurs délais."
    ),
    "MD2": "Votre colis est en cours de livraison.",
    "DI1": "Votre colis est livré.",
}
STEPS = (
    "Votre colis est pris en charge",
    "Il est en chemin.",
    "Il arrive !",
    "Il est en cours de livraison",
    "Votre colis est livré",
)
DELIVERED_DAYS_AGO = {
    "6A10000000002": 5,
    "6A10000000004": 45,
    "6A10000000006": 3,
    "6A10000000007": 20,
    "6A10000000008": 10,
}


def _paris() -> tzinfo:
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # no time zone database on this machine
        return timezone(timedelta(hours=1))


PARIS = _paris()


def _at(today: date, days: int, hour: int, minute: int) -> str:
    """ISO 8601 date with offset, ``days`` from ``today`` (negative: in the past)."""
    moment = datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=PARIS)
    return moment.isoformat(timespec="seconds")


def _shipment(id_ship: str, events: list[tuple[str, str, str]], reached: int,
              is_final: bool, alert_step: int | None = None) -> dict[str, Any]:
    """A shipment from its events, oldest first: (code, label, date)."""
    by_step = {1: "PC1", 2: "ET1", 3: "ET1_ARRIVED", 4: "MD2", 5: "DI1"}
    dates = {key: when for key, _, when in events}
    timeline = []
    for step, short_label in enumerate(STEPS, start=1):
        item: dict[str, Any] = {
            "id": step, "shortLabel": short_label, "longLabel": "",
            "status": step <= reached, "type": 1, "country": "FR" if step <= reached else "",
        }
        if step <= reached and by_step[step] in dates:
            item["date"] = dates[by_step[step]]
        if step == alert_step:
            item["type"] = 0  # "aléa"
            item["longLabel"] = LABELS["PB1"]
        timeline.append(item)
    shipment: dict[str, Any] = {
        "idShip": id_ship,
        "holder": 4,
        "product": "colissimo",
        "isFinal": is_final,
        "entryDate": dates["PC1"],
        "timeline": timeline,
        "event": [
            {"order": order, "code": key[:3], "label": label, "date": when}
            for order, (key, label, when) in reversed(list(enumerate(events, start=1)))
        ],
        "contextData": {
            "deliveryChoice": {"deliveryChoice": 0},
            "originCountry": "FR",
            "arrivalCountry": "FR",
        },
        "url": TRACKING_PAGE + id_ship,
    }
    if is_final:
        shipment["deliveryDate"] = dates["DI1"]
    return shipment


def _events(today: date, shipped: int, *more: tuple[str, int, int, int]) -> list[tuple[str, str, str]]:
    """Declared the day before ``shipped``, taken over and sorted on ``shipped``, then ``more``."""
    base = [("DR1", shipped - 1, 18, 2), ("PC1", shipped, 16, 41), ("ET1", shipped, 22, 15), *more]
    return [(key, LABELS[key], _at(today, days, hour, minute)) for key, days, hour, minute in base]


def demo_shipments(today: date) -> dict[str, dict[str, Any]]:
    """The demo parcels by tracking number, dated from ``today``."""
    shipments = {
        "6A10000000001": _shipment("6A10000000001", _events(today, -1), reached=2, is_final=False),
        "6A10000000005": _shipment(
            "6A10000000005",
            _events(today, -4, ("ET1_ARRIVED", -3, 6, 10), ("PB1", -2, 9, 20)),
            reached=3, is_final=False, alert_step=3,
        ),
    }
    shipments["6A10000000001"]["estimDate"] = _at(today, 2, 12, 0)
    shipments["6A10000000005"]["estimDate"] = _at(today, 2, 12, 0)
    for id_ship, days in DELIVERED_DAYS_AGO.items():
        events = _events(today, -days - 2, ("ET1_ARRIVED", -days - 1, 6, 10),
                         ("MD2", -days, 8, 5), ("DI1", -days, 12, 34))
        shipments[id_ship] = _shipment(id_ship, events, reached=5, is_final=True)
    return shipments


class LaPosteSimulator(LoopbackServer):
    """The simulated API, with its parcels, its key and its injected faults."""

    thread_name = "laposte-simulator"

    def __init__(self, address: tuple[str, int], key: str, today: date | None = None) -> None:
        super().__init__(address, _Handler)
        self.key = key
        self.today = today or datetime.now(PARIS).date()
        self.shipments = demo_shipments(self.today)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Clears the faults and the counters."""
        with self._lock:
            self.requests_received = 0
            self.last_path: str | None = None
            self.last_headers: dict[str, str] = {}
            self.errors_remaining = 0  # negative: forever
            self.error_status = 500
            self.malformed_remaining = 0
            self.delay = 0.0

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answers ``status`` to the next ``count`` requests."""
        with self._lock:
            self.errors_remaining, self.error_status = count, status

    def fail_always(self, status: int = 500) -> None:
        """Answers ``status`` to every request until ``reset()``."""
        self.fail_next(-1, status)

    def malform_next(self, count: int) -> None:
        """Answers 200 with a truncated JSON body to the next ``count`` requests."""
        with self._lock:
            self.malformed_remaining = count

    def set_delay(self, seconds: float) -> None:
        """Waits ``seconds`` before answering each request."""
        with self._lock:
            self.delay = max(0.0, seconds)


    def answer(self, handler: _Handler) -> None:
        """Counts, applies the faults, then answers as La Poste would."""
        with self._lock:
            self.requests_received += 1
            self.last_path = handler.path
            self.last_headers = dict(handler.headers.items())
            delay = self.delay
            fail = self.errors_remaining != 0
            if self.errors_remaining > 0:
                self.errors_remaining -= 1
            error_status = self.error_status
            malformed = self.malformed_remaining > 0
            if malformed:
                self.malformed_remaining -= 1
        if delay and self._stopping.wait(delay):
            return
        if fail:
            handler.send_json(error_status, {"code": "SERVER_ERROR", "message": "Erreur interne"})
            return
        if handler.command != "GET":
            handler.send_json(405, {"code": "METHOD_NOT_ALLOWED", "message": "GET uniquement"})
            return
        if not hmac.compare_digest(handler.headers.get("X-Okapi-Key", "").encode(), self.key.encode()):
            handler.send_json(401, {"code": "UNAUTHORIZED", "message": "Clé d'API absente ou invalide"})
            return
        path = urlsplit(handler.path).path
        if not path.startswith(PATH_PREFIX):
            handler.send_json(404, {"code": "NOT_FOUND", "message": "Ressource inconnue"})
            return
        id_ship = path[len(PATH_PREFIX):]
        if malformed:
            handler.send_raw(200, b'{"lang": "fr_FR", "scope": "open", "returnCode": 200, "shipm')
        elif not ID_FORMAT.fullmatch(id_ship):
            handler.send_json(400, _envelope(400, id_ship, (
                "Le numéro que vous avez saisi n'est pas valide. Nous vous invitons à vérifier "
                "votre saisie, en particulier le nombre de caractères.")))
        elif id_ship.upper() not in self.shipments:
            handler.send_json(404, _envelope(104, id_ship, (
                "Votre suivi n'est pas encore disponible. Si vous avez déposé votre envoi, les "
                "informations de suivi peuvent être affichées avec un délai, veuillez réessayer "
                "ultérieurement.")))
        else:
            handler.send_json(200, {"lang": "fr_FR", "scope": "open", "returnCode": 200,
                                    "shipment": self.shipments[id_ship.upper()]})


def _envelope(return_code: int, id_ship: str, message: str) -> dict[str, Any]:
    return {"lang": "fr_FR", "scope": "open", "returnCode": return_code,
            "returnMessage": message, "idShip": id_ship[:40]}


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server."""

    server: LaPosteSimulator
    server_version = "LaPosteSimulator/1.0"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.answer(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET  # noqa: N815 - http.server names; 405 after the faults

    def send_json(self, status: int, body: Any) -> None:
        self.send_raw(status, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def send_raw(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        logger.info("%s %s", self.address_string(), format % args)


def start_in_thread(port: int = 0, key: str = "test-key", today: date | None = None,
                    host: str = "127.0.0.1") -> tuple[LaPosteSimulator, str]:
    """Starts a simulator in a daemon thread; returns it and its base URL.

    ``port=0`` picks a free port. Stop it with ``server.stop()``.
    """
    server = LaPosteSimulator((host, port), key=key, today=today)
    server.start()
    return server, server.base_url


def main(argv: list[str] | None = None) -> None:
    """Command line: serves until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Simulated La Poste tracking API (Suivi v2).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--key", default="dev-key", help="expected X-Okapi-Key")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="date the demo parcels are dated from (YYYY-MM-DD)")
    parser.add_argument("--fail-first", type=int, default=0, metavar="N",
                        help="answer 500 to the first N requests")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="wait before every answer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = LaPosteSimulator((args.host, args.port), key=args.key, today=args.today)
    server.fail_next(args.fail_first)
    server.set_delay(args.delay)
    logger.info("La Poste simulator on %s (parcels dated from %s)", server.base_url, server.today)
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
