"""Logs without e-mails, phone numbers or postal addresses: the masking, the filter, and
``privacy/logging.yml`` as Python's dictConfig and Rasa's own command line apply it."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from privacy import log_masking
from privacy.log_masking import MaskingFilter, install, mask_text

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "privacy" / "logging.yml"
EMAIL = "camille.martin@example.fr"
SECRETS = (EMAIL, EMAIL.upper(), "0612345678", "06 12 34 56 78", "+33 6 12 34 56 78", "06.12.34.56.78",
           "06-12-34-56-78", "rue des Lilas", "69003", "Lyon")


@pytest.mark.parametrize(("text", "masked"), [
    (f"mail {EMAIL}, merci", "mail [email], merci"),
    ("Camille.Martin@Example.FR", "[email]"),
    ("camille . martin @ gmail . com", "[email]"),
    ("camille arobase exemple.fr", "[email]"),
    ("tel 06 12 34 56 78.", "tel [phone]."),
    ("0612345678 / 06.12.34.56.78 / 06-12-34-56-78", "[phone] / [phone] / [phone]"),
    ("+33 6 12 34 56 78 ou +33612345678 ou 0033 6 12 34 56 78", "[phone] ou [phone] ou [phone]"),
    ("+32 470 12 34 56", "[phone]"),
    ("j'habite au 12 rue des Lilas à Lyon", "j'habite au [address] à Lyon"),
    ("12 bis avenue Jean-Jaurès, 69003 Lyon.", "[address], [address]."),
    ('{"text": "3 all\\u00e9e des Ch\\u00eanes 75011 Paris"}', '{"text": "[address] [address]"}'),
    ('{"text": "caf\\u00e9 \\u00e0 10\\u20ac"}', '{"text": "café à 10\\u20ac"}'),
])
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "commande CO100001, retour RET-100001, colis 6A10000000001, ticket TKT-100001",
    "intent greet confidence 0.987654321 then 0.98765, took 12.34567 s",
    "Starting action endpoint at http://127.0.0.1:5055 (worker 50055) and 10.0.0.1:50055",
    "2026-11-03 10:00:00,123 [12345] sender web-42 has 17 events, 100000 rows",
    "", "rien à masquer ici",
])
def test_what_is_not_personal_stays(text: str) -> None:
    assert mask_text(text) == text


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Puts the record factory and the root handlers back as they were."""
    factory, handlers = logging.getLogRecordFactory(), list(logging.getLogger().handlers)
    filters = {h: list(h.filters) for h in handlers}
    yield
    logging.setLogRecordFactory(factory)
    logging.getLogger().handlers[:] = handlers
    for handler in handlers:
        handler.filters[:] = filters[handler]


def _logger(name: str, *filters: logging.Filter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(customer)s"))
    for masking_filter in filters:
        handler.addFilter(masking_filter)
    logger = logging.getLogger(name)
    logger.handlers[:], logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    return logger, out


def test_the_filter_masks_message_arguments_exception_stack_and_extras() -> None:
    logger, out = _logger("test.privacy.filter", MaskingFilter())
    extra = {"customer": f"{EMAIL} 06 12 34 56 78"}
    logger.debug("slot email=%s", EMAIL, extra=extra)
    try:
        raise LookupError(f"no customer {EMAIL} at 12 rue des Lilas")
    except LookupError:
        logger.error("lookup for %(phone)s", {"phone": "+33 6 12 34 56 78"}, exc_info=True, stack_info=True,
                     extra=extra)
    logger.warning("bad format %d", EMAIL, extra=extra)  # logging would print the arguments raw
    text = out.getvalue()
    assert "DEBUG slot email=[email] [email] [phone]" in text
    assert "ERROR lookup for [phone] [email] [phone]" in text
    assert "LookupError: no customer [email] at [address]" in text and "Stack (most recent call last)" in text
    assert "WARNING bad format %d (arguments: ('[email]',))" in text
    assert not any(secret in text for secret in SECRETS)


def test_a_failing_mask_drops_the_text_and_logging_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    logger, out = _logger("test.privacy.failing", MaskingFilter())

    def broken(text: str) -> str:
        raise RuntimeError("bug")

    monkeypatch.setattr(log_masking, "mask_text", broken)
    logger.info("for %s", EMAIL, extra={"customer": EMAIL})
    assert out.getvalue() == "INFO [message not logged: masking failed (RuntimeError)] \n"


@pytest.mark.usefixtures("clean_logging")
def test_install_masks_the_root_handlers_and_records_of_other_loggers() -> None:
    out = io.StringIO()
    root_handler = logging.StreamHandler(out)
    logging.getLogger().addHandler(root_handler)
    other, other_out = _logger("test.privacy.own_handler")  # its handler has no filter
    masking_filter = install()
    assert install().__class__ is MaskingFilter and root_handler.filters.count(masking_filter) == 1
    logging.getLogger("test.privacy.child").warning("to %s", EMAIL)
    other.warning("tel %s", "0612345678", extra={"customer": "-"})
    assert "to [email]" in out.getvalue() and "WARNING tel [phone] -" in other_out.getvalue()


def _emit(mode: str) -> str:
    """``emit_logs.py`` in a fresh Python, started from the project folder as the servers are."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("emit_logs.py")), mode, str(CONFIG)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "emitted" in done.stderr, done.stderr
    return done.stdout + done.stderr


EXPECTED = ("slots: email=[email] phone=[phone]", "order CO100001 checked for [email], phone [phone]",
            "address change to [address], [address]", "lookup failed for [phone]",
            "ValueError: bad customer [email] [phone]",
            "Exception occurred while handling uri: 'http://x/?email=[email]'", "stray record for [email]")
FROM_RASA = ("DEBUG    rasa.core.processor  - Received user message 'mon mail [email]' with intent inform",
             '"text": "appelez le [phone] svp"')  # Rasa's structlog, through Python's logging


@pytest.mark.parametrize(("mode", "expected"), [
    ("dictconfig", EXPECTED),
    ("rasa", EXPECTED + FROM_RASA),  # rasa run -vv --logging-config-file privacy/logging.yml
    ("actions", EXPECTED + FROM_RASA),  # rasa run actions -vv --logging-config-file privacy/logging.yml
])
def test_the_logging_config_file_masks_every_level_and_logger(mode: str, expected: tuple) -> None:
    output = _emit(mode)
    missing = [line for line in expected if line not in output]
    assert not missing, output
    assert not [secret for secret in SECRETS if secret in output], output


def test_hostile_input_is_masked_in_linear_time() -> None:
    started = time.perf_counter()
    for text in ("a." * 5000 + "@", "a" * 10000 + "@", "a.@" * 3400, "@" * 10000, "1 " * 5000, "06 " * 3000):
        mask_text(text)
    assert time.perf_counter() - started < 2  # quadratic regexes took seconds each
