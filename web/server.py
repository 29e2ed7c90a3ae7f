"""The web pages of Colibri: the customer chat page and the advisors' desk (port 8080).

Static files of the web/ folder (standard library server), plus the desk's JSON API
under ``/desk/api/`` (``desk/api.py``), which reaches Rasa's HTTP API with
``RASA_URL`` and ``RASA_AUTH_TOKEN``, and the shop's ``POST /api/proactive/order-delivered``
(``proactive/endpoint.py``, bearer ``PROACTIVE_TOKEN``). ``DESK_SECURE_COOKIE=1`` marks the desk's
session cookie ``Secure`` (behind HTTPS).

    python web/server.py --host 127.0.0.1 --port 8080

Without flags, WEB_HOST (default 127.0.0.1) and WEB_PORT (default 8080) are used;
``--port 0`` picks a free port (the chosen URL is printed on stdout).

Only the files of the web/ folder are served (no directory listing, no hidden or
Python files). Every response carries ``X-Content-Type-Options: nosniff`` and a
Content-Security-Policy that allows the page's own origin plus the Rasa server:
``RASA_PUBLIC_URL`` if set, otherwise ``http://<host of the request>:5005``, the
origin of ``RASA_URL`` (where this server reaches Rasa) and the local defaults
``http://localhost:5005`` / ``http://127.0.0.1:5005``. The chat widget talks to Rasa's
socket.io channel, so ``connect-src`` lists each Rasa origin twice: http(s):// for the
polling transport and ws(s):// for the WebSocket transport.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import socket
import sys
import urllib.parse
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the desk and actions packages live beside web/
    sys.path.insert(0, str(ROOT))

from desk import sweeper  # noqa: E402
from desk.api import MAX_BODY, DeskApi, Reply  # noqa: E402
from privacy import log_masking  # noqa: E402
from proactive import reminders  # noqa: E402
from proactive.endpoint import ProactiveEndpoint  # noqa: E402

WEB_DIR = Path(__file__).resolve().parent
RASA_PORT = 5005
DEFAULT_RASA_ORIGINS = ("http://localhost:5005", "http://127.0.0.1:5005")
SERVED_SUFFIXES = {".html", ".js", ".css", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"}
# Control characters from the request line are escaped in the log.
_NON_PRINTABLE = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F]}
# host[:port] with a DNS name, an IPv4 address or a bracketed IPv6 address; nothing
# else may reach the CSP header (a Host header is client-controlled).
_HOST_PORT_RE = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::\d{1,5})?")


def origin_from_url(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, or None if it is not usable."""
    parts = urllib.parse.urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]  # drop any user:password@
    if parts.scheme not in ("http", "https") or not _HOST_PORT_RE.fullmatch(netloc):
        return None
    return f"{parts.scheme}://{netloc.lower()}"


def origin_from_host_header(host: str | None) -> str | None:
    """Rasa origin on the same host as the page: ``http://<host>:5005``."""
    match = _HOST_PORT_RE.fullmatch((host or "").strip())
    return f"http://{match.group(1).lower()}:{RASA_PORT}" if match else None


def websocket_origin(origin: str) -> str:
    """``ws(s)://host[:port]`` of an ``http(s)://host[:port]`` origin (socket.io's WebSocket)."""
    return "ws" + origin[len("http"):]


def build_csp(rasa_origins: list[str]) -> str:
    origins = " ".join(rasa_origins)
    sockets = " ".join(websocket_origin(o) for o in rasa_origins)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src 'self' {origins} {sockets}",
            # Bot answers may contain images hosted elsewhere (https only).
            f"img-src 'self' data: https: {origins}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


class ColibriServer(ThreadingHTTPServer):
    daemon_threads = True
    rasa_public_origin: str | None = None  # from RASA_PUBLIC_URL
    rasa_origin: str | None = None  # from RASA_URL, where this server reaches Rasa
    desk: DeskApi | None = None  # the advisors' API, created by main()
    proactive: ProactiveEndpoint | None = None  # the shop's notices (PROACTIVE_TOKEN), by main()


class ColibriHandler(SimpleHTTPRequestHandler):
    server_version = "ColibriWeb"
    extensions_map = {
        "": "application/octet-stream",
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".ico": "image/x-icon",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(WEB_DIR), **kwargs)

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    # --- what may be served ---------------------------------------------
    def _is_allowed(self) -> bool:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        decoded = urllib.parse.unquote(path)
        segments = decoded.replace("\\", "/").split("/")
        # No "..", ".", hidden files, NUL bytes or caches, even percent-encoded.
        if any(s.startswith(".") or "\x00" in s or s == "__pycache__" for s in segments):
            return False
        if segments[-1] and Path(segments[-1]).suffix.lower() not in SERVED_SUFFIXES:
            return False
        target = Path(self.translate_path(self.path)).resolve()
        return target == WEB_DIR or WEB_DIR in target.parents

    # --- the JSON APIs: the desk's, and the shop's proactive notices ------------
    def _api(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length > 0 else HTTPStatus.BAD_REQUEST)
            return
        body = self.rfile.read(length) if length else b""
        try:
            if self._is_proactive_api():
                reply = self.server.proactive.handle(self.path, self.headers, body)
            else:
                reply = self.server.desk.handle(method, self.path, self.headers, body)
        except Exception:  # noqa: BLE001 - logged; the caller gets a clean 500, never a trace
            logging.getLogger("desk").exception("API error on %s %s", method, self.path.split("?")[0])
            reply = Reply(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "erreur interne, réessayez"})
        payload = b"" if reply.body is None else json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def _is_desk_api(self) -> bool:
        return self.server.desk is not None and self.path.startswith("/desk/api/")

    def _is_proactive_api(self) -> bool:
        return self.server.proactive is not None and self.path.startswith("/api/proactive/")

    def do_GET(self):  # noqa: N802 - http.server names
        if self._is_desk_api():
            return self._api("GET")
        return super().do_GET()

    def do_POST(self):  # noqa: N802 - http.server names
        if self._is_desk_api() or self._is_proactive_api():
            return self._api("POST")
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def send_head(self):
        if not self._is_allowed():
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    # --- headers ----------------------------------------------------------
    def _rasa_origins(self) -> list[str]:
        if self.server.rasa_public_origin:
            return [self.server.rasa_public_origin]
        headers = getattr(self, "headers", None)  # absent when the request line was invalid
        origins = [origin_from_host_header(headers.get("Host") if headers else None)]
        origins += [self.server.rasa_origin, *DEFAULT_RASA_ORIGINS]
        return list(dict.fromkeys(o for o in origins if o))

    def end_headers(self):
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", build_csp(self._rasa_origins()))
        self.send_header("Referrer-Policy", "no-referrer")
        if not self.path.startswith(("/desk/api/", "/api/")):
            self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    # --- quiet logging: one line per request ---------------------------------
    def log_message(self, format, *args):
        message = log_masking.mask_text((format % args).translate(_NON_PRINTABLE))  # no personal data in logs
        sys.stderr.write(f"{self.address_string()} {message}\n")

    def log_error(self, format, *args):
        if not format.startswith("code "):  # send_error() already ends in log_request()
            self.log_message(format, *args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the Colibri chat page (web/ folder).")
    # argparse converts string defaults with `type`, so a bad WEB_PORT is a clean usage error.
    parser.add_argument(
        "--host", default=os.environ.get("WEB_HOST", "127.0.0.1"), help="$WEB_HOST or 127.0.0.1"
    )
    parser.add_argument(
        "--port", type=int, default=os.environ.get("WEB_PORT", "8080"), help="$WEB_PORT or 8080"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"invalid port: {args.port}")
    return args


def _stop(signum, frame):
    raise KeyboardInterrupt  # SIGTERM behaves like Ctrl-C: leave serve_forever() cleanly


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log_masking.install()  # the desk's and the proactive endpoint's logs, masked too
    public_url = os.environ.get("RASA_PUBLIC_URL", "").strip()
    rasa_origin = origin_from_url(public_url) if public_url else None
    if public_url and not rasa_origin:
        print(f"RASA_PUBLIC_URL invalide : {public_url!r}", file=sys.stderr)
        return 2

    secure = os.environ.get("DESK_SECURE_COOKIE", "") == "1"
    desk = DeskApi(secure_cookie=secure)
    sweeper.start(desk.rasa)  # waiting customers go back to Colibri when no advisor is around
    reminders.start(desk.rasa)  # return reminders whose Rasa server is gone are sent all the same
    internal_origin = origin_from_url(os.environ.get("RASA_URL", ""))  # None if unset or unusable
    attributes = {"rasa_public_origin": rasa_origin, "rasa_origin": internal_origin, "desk": desk,
                  "proactive": ProactiveEndpoint()}
    server_class = type("Server", (ColibriServer,), attributes)
    if ":" in args.host:
        server_class.address_family = socket.AF_INET6
    try:
        httpd = server_class((args.host, args.port), ColibriHandler)
    except OSError as exc:
        print(f"Impossible d'écouter sur {args.host}:{args.port} : {exc}", file=sys.stderr)
        return 1

    signal.signal(signal.SIGTERM, _stop)
    host, port = httpd.server_address[:2]
    shown_host = f"[{host}]" if ":" in host else host
    print(f"Colibri web : http://{shown_host}:{port}/ (Ctrl-C pour arrêter)", flush=True)
    with httpd, contextlib.suppress(KeyboardInterrupt):
        httpd.serve_forever()
    print("Colibri web : arrêté.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
