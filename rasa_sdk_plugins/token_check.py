"""The action server answers only to the Rasa servers: a shared token.

Rasa sends ``action_endpoint.token`` of its endpoints file as the ``token``
query parameter of every call (``EndpointConfig.token_name``). With
``ACTION_SERVER_TOKEN`` set, ``/webhook`` and ``/actions`` refuse a call
without that token (401, constant-time comparison); ``/health`` stays open
for load balancers. Without it the server is open, which ``make run`` allows
on loopback only; with ``COLIBRI_ENV=production`` the server refuses to start.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Optional

import pluggy
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")
OPEN_PATHS = frozenset({"/health"})


class MissingToken(RuntimeError):
    """Production without ``ACTION_SERVER_TOKEN``."""


def expected_token() -> Optional[str]:
    """``ACTION_SERVER_TOKEN``; in production its absence stops the server."""
    token = (os.environ.get("ACTION_SERVER_TOKEN") or "").strip()
    if token:
        return token
    if os.environ.get("COLIBRI_ENV") == "production":
        raise MissingToken("COLIBRI_ENV=production needs ACTION_SERVER_TOKEN (docs/deploy.md)")
    logger.warning("ACTION_SERVER_TOKEN is not set: the action server accepts calls without a token")
    return None


def given_token(request: Request) -> str:
    """The token of a call: Rasa's ``?token=``, else ``Authorization: Bearer``."""
    token = request.args.get("token")
    if token:
        return token
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def guard(app: Sanic, token: Optional[str]) -> None:
    """Puts the token check in front of every route but ``/health``."""
    if token is None:
        return
    expected = token.encode()

    @app.middleware("request")
    async def check_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if hmac.compare_digest(given_token(request).encode(), expected):
            return None
        logger.warning("refused a call to %s without the action server's token", request.path)
        return json({"error": "missing or wrong token"}, status=401)


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """rasa-sdk's hook: called once, before the server starts."""
    guard(app, expected_token())
