"""Client of La Poste's tracking API, "Suivi" v2 (Colissimo, Chronopost, mail).

Request (developer.laposte.fr, catalog-apis/suivi@2; OpenAPI "Swagger SUIVI"):
``GET {CARRIER_API_URL}/suivi/v2/idships/{idShip}?lang=fr_FR`` with the headers
``X-Okapi-Key`` and ``Accept: application/json``. Redirects are not followed, so
the key never leaves for another host.

Fields relied on in a 200 answer (one number is asked, so the body is one
object; a one-item array, which the OpenAPI schema declares, is accepted too):

- ``shipment.idShip``: must be the number asked;
- ``shipment.event``: list given "into anti chronological order"; of its first
  item, the latest event: ``code``, ``label`` (French: ``lang=fr_FR`` is asked)
  and ``date`` (ISO 8601 with offset, e.g. ``2024-03-05T14:28:00+01:00``);
- optional: ``shipment.isFinal`` (bool), ``shipment.deliveryDate``,
  ``shipment.estimDate`` (ISO 8601), ``shipment.url`` (tracking page).

``lang``, ``scope``, ``returnCode``, ``holder``, ``product``, ``entryDate``,
``timeline`` and ``contextData`` are not used, except ``returnCode`` to tell an
unknown number (104/105) inside a body without ``shipment``.

HTTP statuses: 200 -> ``ParcelStatus``; 404 (``returnCode``, ``returnMessage``,
``idShip``: unknown or not yet tracked) and 400 (number the carrier rejects) ->
``None``; 401/403 (key), 429, 3xx, other 4xx, 5xx once the retries are spent,
connection errors, timeouts and malformed bodies -> ``CarrierUnavailable``.

Event codes documented by La Poste: DR1 declared by the sender, PC1/PC2 taken
over, ET1-ET4 being processed, EP1 awaiting presentation, DO1/DO2 in/out of
customs, DO3 held at customs, PB1 problem in progress, PB2 problem solved, MD2
out for delivery, ND1 undeliverable, AG1 waiting at a counter for pick-up, RE1
returned to sender, DI1 delivered, DI2 delivered back to the sender.

- ``delivered``: DI1 only (DI2 means the sender got it back).
- ``incident``: PB1, DO3, ND1, RE1, DI2 - the parcel will not reach the customer
  as planned. Not AG1 (the parcel is waiting for the customer, its label says
  where), nor DO1/DO2 (routine customs steps), nor PB2 (problem solved).

Logs (WARNING on failure) never hold the tracking number, the key or the URL;
a filter on the ``urllib3.connectionpool`` logger masks the number in the URLs
urllib3 logs when it retries.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from actions.settings import number_from_env

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.laposte.fr"
DEFAULT_TIMEOUT = 3.0
DEFAULT_RETRIES = 2
MAX_TIMEOUT = 60.0
MAX_RETRIES = 10
BACKOFF_FACTOR = 0.2
RETRY_STATUSES = (500, 502, 503, 504)
LANG = "fr_FR"
PATH = "/suivi/v2/idships/"

DELIVERED_CODES = frozenset({"DI1"})
INCIDENT_CODES = frozenset({"PB1", "DO3", "ND1", "RE1", "DI2"})
UNKNOWN_RETURN_CODES = frozenset({104, 105})

# ``^[0-9A-Z]{2}\d{11}$`` with ASCII digits only (``\d`` also matches other scripts' digits).
TRACKING_NUMBER = re.compile(r"[0-9A-Z]{2}[0-9]{11}")
MAX_INPUT = 64  # longer values are not tracking numbers; do not scan them


def _paris() -> tzinfo:
    """La Poste's time zone, for dates that come without an offset."""
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # no time zone database on this machine
        return timezone.utc


PARIS = _paris()


class CarrierUnavailable(Exception):
    """The carrier's API cannot answer now: network, key, server or format problem."""


@dataclass(frozen=True)
class CarrierSettings:
    """How to reach the tracking API."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT  # seconds, for connecting and for each read
    retries: int = DEFAULT_RETRIES  # extra attempts on network errors and 5xx

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CarrierSettings:
        """Reads ``CARRIER_API_URL``, ``CARRIER_API_KEY``, ``CARRIER_TIMEOUT`` and
        ``CARRIER_RETRIES``; a missing or invalid value gives the default."""
        env = os.environ if environ is None else environ
        return cls(
            base_url=_base_url(env.get("CARRIER_API_URL")),
            api_key=(env.get("CARRIER_API_KEY") or "").strip(),
            timeout=number_from_env("CARRIER_TIMEOUT", env.get("CARRIER_TIMEOUT"), DEFAULT_TIMEOUT,
                                    0.0, MAX_TIMEOUT, low_exclusive=True),
            retries=number_from_env("CARRIER_RETRIES", env.get("CARRIER_RETRIES"), DEFAULT_RETRIES,
                                    0, MAX_RETRIES),
        )


def _base_url(value: str | None) -> str:
    url = (value or "").strip().rstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        if url:
            logger.warning("CARRIER_API_URL is not an http(s) URL; using the default")
        return DEFAULT_BASE_URL
    return url


@dataclass(frozen=True)
class ParcelStatus:
    """Where a parcel stands, from its latest event."""

    tracking_number: str
    delivered: bool
    is_final: bool
    label: str  # French label of the latest event
    event_code: str
    event_date: datetime | None  # timezone-aware
    delivery_date: datetime | None  # set when delivered
    url: str | None  # tracking page on laposte.fr
    incident: bool
    estimated_date: datetime | None = None  # expected delivery, when the carrier gives one


def normalise_tracking_number(value: object) -> str | None:
    """``value`` without spaces and upper-cased, if it is a tracking number."""
    if not isinstance(value, str) or len(value) > MAX_INPUT:
        return None
    candidate = re.sub(r"\s+", "", value).upper()
    return candidate if TRACKING_NUMBER.fullmatch(candidate) else None


class _Malformed(Exception):
    """The answer does not follow the documented shape."""


class CarrierClient:
    """Looks parcels up in La Poste's tracking API (blocking calls).

    A session given by the caller is used as it is (no retry adapter is mounted
    on it); otherwise the client builds one with retries and closes it in
    ``close()``.
    """

    def __init__(
        self,
        settings: CarrierSettings | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings if settings is not None else CarrierSettings.from_env()
        self._owns_session = session is None
        self._session = session if session is not None else _make_session(self.settings.retries)

    def close(self) -> None:
        """Closes the session if the client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> CarrierClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_status(self, tracking_number: str) -> ParcelStatus | None:
        """The parcel's status; ``None`` for an invalid or unknown number.

        Raises ``CarrierUnavailable`` when the carrier cannot answer.
        """
        number = normalise_tracking_number(tracking_number)
        if number is None:
            return None
        if not self.settings.api_key:
            logger.warning("carrier API: CARRIER_API_KEY is not set")
            raise CarrierUnavailable("no API key configured")
        response = self._get(number)
        status = response.status_code
        if status in (200, 207):
            try:
                return _status_from(number, _json(response))
            except _Malformed as exc:
                logger.warning("carrier API: unexpected answer (%s)", exc)
                raise CarrierUnavailable(f"unexpected answer: {exc}") from None
        if status == 404:
            if not _is_envelope(response):
                logger.warning("carrier API: 404 without La Poste's body; check CARRIER_API_URL")
            return None
        if status == 400:
            logger.warning("carrier API: the carrier rejected the number's format (HTTP 400)")
            return None
        if status in (401, 403):
            logger.warning("carrier API: key refused (HTTP %d); check CARRIER_API_KEY", status)
        else:
            logger.warning("carrier API: HTTP %d", status)
        raise CarrierUnavailable(f"HTTP {status}")

    def _get(self, number: str) -> requests.Response:
        """One GET (the session retries it); errors become ``CarrierUnavailable``."""
        timeout = self.settings.timeout
        try:
            return self._session.get(
                f"{self.settings.base_url.rstrip('/')}{PATH}{number}",
                params={"lang": LANG},
                headers={"X-Okapi-Key": self.settings.api_key, "Accept": "application/json"},
                timeout=(timeout, timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            # The exception's text holds the URL, hence the tracking number: log its type only.
            kind = "timeout" if _is_timeout(exc) else "connection failed"
            logger.warning("carrier API: %s (%s)", kind, type(exc).__name__)
            raise CarrierUnavailable(kind) from None


class _RedactTrackingPaths(logging.Filter):
    """Hides tracking numbers in the URLs urllib3 logs ("Retrying ... : /suivi/v2/idships/...")."""

    _path = re.compile(re.escape(PATH) + r"[^?#\s'\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._path.sub(PATH + "***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = self._path.sub(PATH + "***", record.msg)
        return True


_URLLIB3_LOGGER = logging.getLogger("urllib3.connectionpool")


def _make_session(retries: int) -> requests.Session:
    """A session retrying GETs on network errors and 500/502/503/504."""
    if not any(isinstance(f, _RedactTrackingPaths) for f in _URLLIB3_LOGGER.filters):
        _URLLIB3_LOGGER.addFilter(_RedactTrackingPaths())
    retry = Retry(
        total=retries,
        backoff_factor=BACKOFF_FACTOR,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,  # the last 5xx comes back as a response
        respect_retry_after_header=False,  # never sleep minutes in a conversation
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _is_timeout(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return "timeout" in type(reason).__name__.lower()  # read timeouts once retries are spent


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _Malformed("body is not JSON") from None


def _is_envelope(response: requests.Response) -> bool:
    """Whether a 404 carries La Poste's body (``returnCode``...), not a gateway's."""
    try:
        body = response.json()
    except ValueError:
        return False
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    return isinstance(body, dict) and "returnCode" in body


def _status_from(number: str, body: Any) -> ParcelStatus | None:
    """Reads the documented 200 body; ``None`` when it says the number is unknown."""
    if isinstance(body, list):
        if len(body) != 1:
            raise _Malformed("array of several answers")
        body = body[0]
    if not isinstance(body, dict):
        raise _Malformed("body is not an object")
    shipment = body.get("shipment")
    if shipment is None and body.get("returnCode") in UNKNOWN_RETURN_CODES:
        return None
    if not isinstance(shipment, dict):
        raise _Malformed("no shipment")
    id_ship = shipment.get("idShip")
    if not isinstance(id_ship, str) or id_ship.upper() != number:
        raise _Malformed("idShip is not the number asked")
    events = shipment.get("event")
    if not isinstance(events, list) or not events or not isinstance(events[0], dict):
        raise _Malformed("no event")
    latest = events[0]  # documented as most recent first
    code, label = latest.get("code"), latest.get("label")
    if not isinstance(code, str) or not code.strip():
        raise _Malformed("event without code")
    if not isinstance(label, str) or not label.strip():
        raise _Malformed("event without label")
    is_final = shipment.get("isFinal", False)
    if not isinstance(is_final, bool):
        raise _Malformed("isFinal is not a boolean")
    code = code.strip().upper()
    delivered = code in DELIVERED_CODES
    event_date = _datetime(latest.get("date"))
    delivery_date = (_datetime(shipment.get("deliveryDate")) or event_date) if delivered else None
    url = shipment.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        url = None
    return ParcelStatus(
        tracking_number=number,
        delivered=delivered,
        is_final=is_final,
        label=" ".join(label.split()),
        event_code=code,
        event_date=event_date,
        delivery_date=delivery_date,
        url=url,
        incident=code in INCIDENT_CODES,
        estimated_date=None if delivered else _datetime(shipment.get("estimDate")),
    )


def _datetime(value: object) -> datetime | None:
    """An ISO 8601 date as an aware datetime (Paris time when it has no offset)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=PARIS)
