"""The customer chat page: web/server.py runs as a real subprocess, checked over HTTP.

The server is started with ``--port 0`` (the OS picks a free port; the server prints
the URL it listens on). Requests go through ``http.client`` so that paths such as
``/../x`` are sent exactly as written and no HTTP proxy from the environment is used.
The widget in a real browser, on Rasa's socket.io channel: tests/e2e/test_web_chat_browser.py;
here the JavaScript is checked statically.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
SERVER = WEB / "server.py"
JS = WEB / "colibri-chat.js"
CSS = WEB / "colibri-chat.css"
INDEX = WEB / "index.html"
STARTUP_TIMEOUT = 15


@dataclass
class Served:
    proc: subprocess.Popen
    port: int
    stderr: object

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
        """(status, headers, body) of one request; the path is sent untouched."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self.proc.stdout.close()
            self.stderr.close()

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")


def start_server(script: Path, cwd: Path, env: dict[str, str] | None = None, args=None) -> Served:
    ignored = ("RASA_PUBLIC_URL", "RASA_URL", "WEB_HOST", "WEB_PORT")
    clean_env = {k: v for k, v in os.environ.items() if k not in ignored}
    # PYTHONPATH: a copy of server.py elsewhere still finds the desk's package.
    clean_env.update(PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(SERVER.parents[1]),
                     **(env or {}))
    if args is None:
        args = ["--host", "127.0.0.1", "--port", "0"]
    stderr = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=clean_env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        encoding="utf-8",
    )
    ready, _, _ = select.select([proc.stdout], [], [], STARTUP_TIMEOUT)
    line = proc.stdout.readline() if ready else ""
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        proc.wait()
        stderr.seek(0)
        pytest.fail(f"server did not start: {line!r} {stderr.read().decode(errors='replace')}")
    return Served(proc, int(match.group(1)), stderr)


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[Served]:
    """web/server.py serving the real web/ folder, started from another directory."""
    served = start_server(SERVER, cwd=tmp_path_factory.mktemp("cwd"))
    yield served
    served.stop()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[Served]:
    """A copy of server.py serving a throwaway site, next to a secret it must not leak.

    site/            <- served folder (no index.html, a sub-folder, a symlink out)
    secret.html      <- outside the served folder
    """
    root = tmp_path_factory.mktemp("sandbox")
    site = root / "site"
    (site / "sub").mkdir(parents=True)
    (site / "sub" / "page.html").write_text("<p>page</p>", encoding="utf-8")
    (site / ".hidden.html").write_text("hidden", encoding="utf-8")
    (root / "secret.html").write_text("TOP-SECRET-MARKER", encoding="utf-8")
    (site / "link.html").symlink_to(root / "secret.html")
    shutil.copy(SERVER, site / "server.py")
    served = start_server(site / "server.py", cwd=root)
    yield served
    served.stop()


# --- pages and assets -------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/index.html"])
def test_index_is_served_with_the_widget_script_tag(web, path):
    status, headers, body = web.get(path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode("utf-8")
    assert '<html lang="fr">' in page
    assert "Boutique Colibri" in page
    assert re.search(r'<script src="/colibri-chat\.js" data-rasa-url="[^"]*"[^>]* defer></script>', page)


@pytest.mark.parametrize(
    ("path", "content_type", "source"),
    [
        ("/colibri-chat.js", "text/javascript; charset=utf-8", JS),
        ("/colibri-chat.css", "text/css; charset=utf-8", CSS),
    ],
)
def test_assets_are_served_with_their_content_type(web, path, content_type, source):
    status, headers, body = web.get(path)
    assert status == 200
    assert headers["Content-Type"] == content_type
    assert body == source.read_bytes()


def test_head_request_has_no_body(web):
    status, headers, body = web.get("/colibri-chat.js", method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) == JS.stat().st_size


@pytest.mark.parametrize("path", ["/missing.html", "/server.py", "/.hidden", "/__pycache__/"])
def test_unknown_python_and_hidden_files_are_not_served(web, path):
    status, headers, _ = web.get(path)
    assert status == 404
    assert headers["X-Content-Type-Options"] == "nosniff"


# --- security headers -------------------------------------------------------


def csp_directives(headers) -> dict[str, list[str]]:
    policy = headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", ["/", "/colibri-chat.js", "/colibri-chat.css", "/missing.html"])
def test_security_headers_on_every_response(web, path):
    _, headers, _ = web.get(path)
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = csp_directives(headers)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert csp["connect-src"][0] == "'self'"
    assert {"http://127.0.0.1:5005", "http://localhost:5005"} <= set(csp["connect-src"])
    # socket.io's WebSocket transport
    assert {"ws://127.0.0.1:5005", "ws://localhost:5005"} <= set(csp["connect-src"])
    assert not any(o.startswith("ws") for o in csp["img-src"])
    assert "Python" not in headers.get("Server", "")


def test_csp_allows_rasa_on_the_host_the_page_was_requested_from(web):
    _, headers, _ = web.get("/", headers={"Host": "Boutique.Example:8080"})
    assert "http://boutique.example:5005" in csp_directives(headers)["connect-src"]
    assert "ws://boutique.example:5005" in csp_directives(headers)["connect-src"]


@pytest.mark.parametrize("host", ["evil.example; script-src *", "evil.example 'unsafe-inline'", "a,b"])
def test_csp_ignores_a_malformed_host_header(web, host):
    _, headers, _ = web.get("/", headers={"Host": host})
    policy = headers["Content-Security-Policy"]
    assert "evil" not in policy
    assert "unsafe-inline" not in policy
    assert csp_directives(headers)["script-src"] == ["'self'"]
    assert set(csp_directives(headers)["connect-src"]) == {
        "'self'",
        "http://127.0.0.1:5005",
        "http://localhost:5005",
        "ws://127.0.0.1:5005",
        "ws://localhost:5005",
    }


def test_env_configures_host_port_and_rasa_public_url(tmp_path):
    served = start_server(
        SERVER,
        cwd=tmp_path,
        env={
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": "0",
            "RASA_PUBLIC_URL": "https://Bot.Example.com:8443/some/path",
        },
        args=[],
    )
    try:
        status, headers, _ = served.get("/")
        assert status == 200
        assert csp_directives(headers)["connect-src"] == [
            "'self'", "https://bot.example.com:8443", "wss://bot.example.com:8443"]
    finally:
        assert served.stop() == 0


def test_csp_allows_the_rasa_server_of_rasa_url(tmp_path):
    """RASA_URL (where the server reaches Rasa, e.g. another port) is allowed besides the defaults."""
    served = start_server(SERVER, cwd=tmp_path, env={"RASA_URL": "http://127.0.0.1:5999"})
    try:
        connect = csp_directives(served.get("/")[1])["connect-src"]
        assert {"http://127.0.0.1:5999", "ws://127.0.0.1:5999", "http://127.0.0.1:5005"} <= set(connect)
    finally:
        assert served.stop() == 0


def test_invalid_rasa_public_url_is_refused(tmp_path):
    env = {**os.environ, "RASA_PUBLIC_URL": "javascript:alert(1)"}
    result = subprocess.run(
        [sys.executable, str(SERVER), "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "RASA_PUBLIC_URL" in result.stderr


# --- path traversal and directory listing -----------------------------------

TRAVERSALS = [
    "/../README.md",
    "/%2e%2e/",
    "/%2e%2e/README.md",
    "/%2E%2E/tests/web/test_web_page.py",
    "/../tests/web/test_web_page.py",
    "/..%2ftests%2fweb%2ftest_web_page.py",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%5c..%5cREADME.md",
    "//etc/passwd",
    "/./index.html/../../README.md",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_does_not_escape_web(web, path):
    status, _, body = web.get(path)
    assert status == 404
    assert b"TRAVERSALS" not in body  # this very file is outside web/
    assert b"root:" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.html",
        "/%2e%2e/secret.html",
        "/%2E%2E%2Fsecret.html",
        "/sub/../../secret.html",
        "/sub/%2e%2e/%2e%2e/secret.html",
        "/..%5csecret.html",
        "/link.html",  # symlink pointing outside the served folder
    ],
)
def test_existing_file_outside_the_served_folder_is_not_reachable(sandbox, path):
    status, _, body = sandbox.get(path)
    assert status == 404
    assert b"TOP-SECRET-MARKER" not in body


def test_sandbox_serves_its_own_files(sandbox):
    status, _, body = sandbox.get("/sub/page.html")
    assert (status, body) == (200, b"<p>page</p>")


@pytest.mark.parametrize("path", ["/", "/sub/", "/sub", "/.hidden.html"])
def test_directory_listing_is_disabled(sandbox, path):
    status, _, body = sandbox.get(path)
    assert status == 404
    assert b"Directory listing" not in body
    assert b"page.html" not in body


def test_root_of_web_is_the_page_not_a_listing(web):
    _, _, body = web.get("/")
    assert b"Directory listing" not in body
    assert b"colibri-chat.js" in body


def test_sigterm_stops_the_server_cleanly(tmp_path):
    served = start_server(SERVER, cwd=tmp_path)
    assert served.get("/")[0] == 200
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=10) == 0
    log = served.stderr_text()
    assert "Traceback" not in log
    assert log.count("\n") == 1 and '"GET / HTTP/1.1" 200' in log  # one quiet line per request
    served.stop()


# --- static checks of the page and the widget -------------------------------


def test_widget_never_parses_html():
    source = JS.read_text(encoding="utf-8")
    assert "innerHTML =" not in source
    for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert api not in source, api
    assert "textContent" in source


def test_page_and_widget_fetch_nothing_from_the_internet():
    for path in (INDEX, JS, CSS):
        text = path.read_text(encoding="utf-8")
        assert "https://" not in text and "http://" not in text, path.name
        assert "@import" not in text and "url(" not in text, path.name


def test_page_has_no_inline_script_or_style_blocked_by_the_csp():
    page = INDEX.read_text(encoding="utf-8")
    assert len(re.findall(r"<script\b", page)) == 1
    assert "<style" not in page
    assert " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers


def test_widget_covers_the_requirements():
    source = JS.read_text(encoding="utf-8")
    expected = [
        "Discuter avec Colibri",
        "Colibri — Service client",
        "Votre message",
        "Envoyer",
        "Nouvelle conversation",
        "Colibri écrit…",
        "Oups, je n'arrive pas à joindre le service pour le moment. Réessayez dans un instant.",
        'SOCKET_PATH = "/socket.io/"',
        '"session_request"',
        '"session_confirm"',
        '"bot_uttered"',
        '"user_uttered"',
        "quick_replies",
        "vendor/socket.io.min.js",
        "data-rasa-url",
        '"rasa-url"',
        ":5005",
        "crypto.getRandomValues",
        "localStorage",
        "TIMEOUT_MS = 30000",
        "MAX_CHARS = 2000",
        " caractères sur 2 000",
        "aria-describedby",
        'role: "log"',
        '"aria-live": "polite"',
        'target: "_blank"',
        "noopener",
        "alt:",
        "colibri-advisor",  # an advisor's message, with the name above it
        " (service client)",
        '"storage"',  # every tab shows the conversation saved in localStorage
    ]
    for snippet in expected:
        assert snippet in source, snippet
    assert len(source.splitlines()) <= 390


def test_css_handles_phones_and_focus():
    css = CSS.read_text(encoding="utf-8")
    assert "@media (max-width: 480px)" in css
    assert ":focus-visible" in css and "outline:" in css


def test_socketio_client_is_pinned_and_not_committed():
    package = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"4\.\d+\.\d+", package["dependencies"]["socket.io-client"])
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/socket.io-client"]["version"].startswith("4.")
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert "web/vendor/" in ignored and "node_modules/" in ignored


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_widget_javascript_syntax():
    result = subprocess.run(["node", "--check", str(JS)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
