"""Run as a program by test_log_masking.py: sets logging up, then logs personal data everywhere.

``python emit_logs.py dictconfig FILE``: ``logging.config.dictConfig`` of the YAML ``FILE``.
``python emit_logs.py rasa FILE`` / ``actions FILE``: Rasa's real command line,
``rasa run -vv --logging-config-file FILE`` / ``rasa run actions -vv --logging-config-file FILE``,
with the server replaced by ``emit`` (everything before it, logging included, is Rasa's).
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

EMAIL = "camille.martin@example.fr"


def emit(*_args: Any, **_kwargs: Any) -> None:
    """Records at every level, from Rasa's, our own, Sanic's and a stray logger, and through
    structlog once Rasa has set it up (it then writes to Python's logging)."""
    from sanic.log import LOGGING_CONFIG_DEFAULTS

    logging.config.dictConfig(LOGGING_CONFIG_DEFAULTS)  # Sanic's own handlers, as its app sets them up
    for name in ("sanic.root", "sanic.error", "sanic.access"):
        logging.getLogger(name).propagate = False  # as Rasa's update_sanic_log_level()
    ours = logging.getLogger("actions.order_tracking")
    ours.setLevel(logging.DEBUG)
    logging.getLogger("rasa.core.processor").debug("Received user message 'mon mail %s' with intent inform",
                                                   EMAIL)
    ours.debug("slots: email=%s phone=%s", EMAIL.upper(), "0612345678")
    ours.info("order %s checked for %s, phone %s", "CO100001", EMAIL, "06 12 34 56 78")
    ours.warning("address change to %s, %s", "12 rue des Lilas", "69003 Lyon")
    try:
        raise ValueError(f"bad customer {EMAIL} +33 6 12 34 56 78")
    except ValueError:
        ours.exception("lookup failed for %s", "06.12.34.56.78")
    ours.error("extra too", extra={"customer": f"{EMAIL} 06-12-34-56-78"})
    sanic = logging.getLogger("sanic.error")
    sanic.error("Exception occurred while handling uri: 'http://x/?email=%s'", EMAIL)
    stray = logging.getLogger("stray")
    stray.propagate = False  # no handler at all: Python's last resort prints it
    stray.warning("stray record for %s", EMAIL)
    if "rasa" in sys.modules:
        import structlog

        structlog.get_logger().info("processor.message", text="appelez le 06.12.34.56.78 svp")
    print("emitted", file=sys.stderr, flush=True)


def main(mode: str, config: str) -> None:
    if mode == "dictconfig":
        import yaml

        with open(config, encoding="utf-8") as file:
            logging.config.dictConfig(yaml.safe_load(file))
        emit()
        return
    import rasa.__main__
    import rasa.cli.run
    import rasa_sdk.__main__

    rasa.cli.run.run = emit  # `rasa run` would start the server here
    rasa_sdk.__main__.run = emit  # so would `rasa run actions`
    sys.argv = ["rasa", "run", *(["actions"] if mode == "actions" else []), "-vv",
                "--logging-config-file", config]
    rasa.__main__.main()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
