"""The carrier client against the La Poste simulator, over real HTTP on loopback."""

from __future__ import annotations

import logging
import socket
import time
from datetime import date, timedelta
from typing import Iterator

import pytest

from actions.carrier import (
    DEFAULT_BASE_URL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    CarrierClient,
    CarrierSettings,
    CarrierUnavailable,
    normalise_tracking_number,
)
from simulators.laposte import LaPosteSimulator, start_in_thread

KEY = "test-key"
TODAY = date.today()
IN_TRANSIT = "6A10000000001"
INCIDENT = "6A10000000005"


@pytest.fixture(scope="module")
def simulator() -> Iterator[LaPosteSimulator]:
    server, _ = start_in_thread(port=0, key=KEY, today=TODAY)
    yield server
    server.stop()


@pytest.fixture
def sim(simulator: LaPosteSimulator) -> LaPosteSimulator:
    simulator.reset()
    return simulator


def client_for(base_url: str, key: str = KEY, timeout: float = 2.0, retries: int = 2) -> CarrierClient:
    return CarrierClient(CarrierSettings(base_url=base_url, api_key=key, timeout=timeout, retries=retries))


@pytest.fixture
def client(sim: LaPosteSimulator) -> Iterator[CarrierClient]:
    with client_for(sim.base_url) as carrier:
        yield carrier


def assert_no_personal_data(text: str) -> None:
    for secret in (KEY, "6A1000000000", "6a1000000000"):
        assert secret not in text


def test_in_transit_parcel(client: CarrierClient, sim: LaPosteSimulator) -> None:
    status = client.get_status(IN_TRANSIT)

    assert status is not None
    assert status.tracking_number == IN_TRANSIT
    assert not status.delivered and not status.is_final and not status.incident
    assert status.event_code == "ET1"
    assert status.label == "Votre colis est en cours de traitement sur notre plateforme de tri."
    assert status.event_date is not None and status.event_date.tzinfo is not None
    assert status.event_date.date() == TODAY - timedelta(days=1)
    assert status.delivery_date is None
    assert status.estimated_date is not None
    assert status.estimated_date.date() == TODAY + timedelta(days=2)
    assert status.url is not None and status.url.startswith("https://www.laposte.fr/")
    # The documented request: path, language, key and JSON asked for.
    assert sim.last_path == f"/suivi/v2/idships/{IN_TRANSIT}?lang=fr_FR"
    assert sim.last_headers["X-Okapi-Key"] == KEY
    assert sim.last_headers["Accept"] == "application/json"


@pytest.mark.parametrize("number, days_ago", [
    ("6A10000000006", 3), ("6A10000000002", 5), ("6A10000000004", 45),
    ("6A10000000007", 20), ("6A10000000008", 10),
])
def test_delivered_parcel(client: CarrierClient, number: str, days_ago: int) -> None:
    status = client.get_status(number)

    assert status is not None
    assert status.delivered and status.is_final and not status.incident
    assert status.event_code == "DI1"
    assert status.label == "Votre colis est livré."
    assert status.delivery_date is not None and status.delivery_date.tzinfo is not None
    assert status.delivery_date.date() == TODAY - timedelta(days=days_ago)
    assert status.estimated_date is None


def test_incident_parcel(client: CarrierClient) -> None:
    status = client.get_status(INCIDENT)

    assert status is not None
    assert status.incident and not status.delivered and not status.is_final
    assert status.event_code == "PB1"
    assert "pris du retard suite à un incident technique" in status.label
    assert status.event_date is not None
    assert status.event_date.date() == TODAY - timedelta(days=2)


def test_unknown_parcel_is_none(client: CarrierClient, sim: LaPosteSimulator) -> None:
    assert client.get_status("6A19999999999") is None
    assert sim.requests_received == 1


@pytest.mark.parametrize("typed", ["6a10000000001", " 6A 1000 0000 001 ", "6a1\t0000000001\n"])
def test_input_is_normalised(client: CarrierClient, typed: str) -> None:
    status = client.get_status(typed)

    assert status is not None and status.tracking_number == IN_TRANSIT


@pytest.mark.parametrize("typed", [
    "", "   ", "abc", "6A1000000000", "6A100000000011", "CO100001",
    "6A10000000001/../../x", "../6A10000000001", "6A10000000001?a=b", "6A1000000000%31",
    "6A1000000000\u0661",  # Arabic-Indic digit: \d would accept it
    "6A10000000001," + IN_TRANSIT, "6A" + "1" * 5000, None, 6010000000001,
])
def test_invalid_input_is_none_without_request(client: CarrierClient, sim: LaPosteSimulator,
                                               typed: object) -> None:
    assert client.get_status(typed) is None  # type: ignore[arg-type]
    assert sim.requests_received == 0


def test_normalise_tracking_number() -> None:
    assert normalise_tracking_number(" 6a 1000 0000 001") == IN_TRANSIT
    assert normalise_tracking_number("LU680211095FR") is None  # S10 format is not ours
    assert normalise_tracking_number("ab12345678901") == "AB12345678901"


def test_wrong_key_is_unavailable(sim: LaPosteSimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="actions.carrier")
    with (
        client_for(sim.base_url, key="wrong-key") as carrier,
        pytest.raises(CarrierUnavailable),
    ):
        carrier.get_status(IN_TRANSIT)

    assert sim.requests_received == 1  # 401 is not retried
    assert "401" in caplog.text and "CARRIER_API_KEY" in caplog.text
    assert "wrong-key" not in caplog.text
    assert_no_personal_data(caplog.text)


def test_missing_key_fails_without_request(sim: LaPosteSimulator) -> None:
    with (
        client_for(sim.base_url, key="") as carrier,
        pytest.raises(CarrierUnavailable),
    ):
        carrier.get_status(IN_TRANSIT)

    assert sim.requests_received == 0


def test_retries_then_succeeds(client: CarrierClient, sim: LaPosteSimulator) -> None:
    sim.fail_next(2, status=500)

    status = client.get_status(IN_TRANSIT)

    assert status is not None and status.event_code == "ET1"
    assert sim.requests_received == 3


@pytest.mark.parametrize("code", [500, 503])
def test_server_errors_exhaust_retries(sim: LaPosteSimulator, caplog: pytest.LogCaptureFixture,
                                       code: int) -> None:
    caplog.set_level(logging.WARNING, logger="actions.carrier")
    sim.fail_always(status=code)

    with (
        client_for(sim.base_url, retries=2) as carrier,
        pytest.raises(CarrierUnavailable),
    ):
        carrier.get_status(IN_TRANSIT)

    assert sim.requests_received == 3
    assert f"HTTP {code}" in caplog.text
    assert_no_personal_data(caplog.text)


def test_client_error_is_not_retried(sim: LaPosteSimulator) -> None:
    sim.fail_next(1, status=429)

    with (
        client_for(sim.base_url) as carrier,
        pytest.raises(CarrierUnavailable),
    ):
        carrier.get_status(IN_TRANSIT)

    assert sim.requests_received == 1


def test_malformed_body_is_unavailable(client: CarrierClient, sim: LaPosteSimulator) -> None:
    sim.malform_next(1)

    with pytest.raises(CarrierUnavailable):
        client.get_status(IN_TRANSIT)


def test_wrong_base_url_returns_none_and_warns(sim: LaPosteSimulator,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="actions.carrier")
    with client_for(sim.base_url + "/wrong") as carrier:
        assert carrier.get_status(IN_TRANSIT) is None

    assert "CARRIER_API_URL" in caplog.text


def test_slow_answer_times_out_quickly(sim: LaPosteSimulator,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="actions.carrier")
    sim.set_delay(2.0)
    started = time.monotonic()

    with (
        client_for(sim.base_url, timeout=0.3, retries=0) as carrier,
        pytest.raises(CarrierUnavailable, match="timeout"),
    ):
        carrier.get_status(IN_TRANSIT)

    assert time.monotonic() - started < 1.0
    assert sim.requests_received == 1
    assert_no_personal_data(caplog.text)


def test_slow_answer_is_retried(sim: LaPosteSimulator) -> None:
    sim.set_delay(2.0)
    started = time.monotonic()

    with (
        client_for(sim.base_url, timeout=0.3, retries=1) as carrier,
        pytest.raises(CarrierUnavailable, match="timeout"),
    ):
        carrier.get_status(IN_TRANSIT)

    assert time.monotonic() - started < 1.5
    assert sim.requests_received == 2


def test_closed_port_is_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="actions.carrier")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again, so nothing listens there
    started = time.monotonic()

    with (
        client_for(f"http://127.0.0.1:{port}", timeout=0.3) as carrier,
        pytest.raises(CarrierUnavailable, match="connection failed"),
    ):
        carrier.get_status(IN_TRANSIT)

    assert time.monotonic() - started < 2.0
    assert_no_personal_data(caplog.text)


def test_settings_from_env_defaults() -> None:
    settings = CarrierSettings.from_env({})

    assert settings == CarrierSettings(DEFAULT_BASE_URL, "", DEFAULT_TIMEOUT, DEFAULT_RETRIES)


def test_settings_from_env_values() -> None:
    settings = CarrierSettings.from_env({
        "CARRIER_API_URL": "http://127.0.0.1:8091/", "CARRIER_API_KEY": " dev-key ",
        "CARRIER_TIMEOUT": "1.5", "CARRIER_RETRIES": "0",
    })

    assert settings == CarrierSettings("http://127.0.0.1:8091", "dev-key", 1.5, 0)
    assert "dev-key" not in repr(settings)


@pytest.mark.parametrize("timeout, retries", [
    ("abc", "x"), ("-1", "-2"), ("0", "1.5"), ("nan", "99"), ("inf", ""), ("", " "),
])
def test_settings_from_env_tolerates_bad_values(timeout: str, retries: str) -> None:
    settings = CarrierSettings.from_env({
        "CARRIER_API_URL": "ftp://example.org", "CARRIER_TIMEOUT": timeout,
        "CARRIER_RETRIES": retries,
    })

    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.timeout == DEFAULT_TIMEOUT
    assert settings.retries == DEFAULT_RETRIES
