"""Local stand-ins for the third-party services Colibri calls."""

from __future__ import annotations

import logging
import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port free on loopback right now, for a local server to listen on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackServer(ThreadingHTTPServer):
    """A simulator's HTTP server: serves in a daemon thread, stops without waiting for clients."""

    daemon_threads = True
    block_on_close = False  # stop() must not wait for slow answers
    thread_name = "simulator"

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        super().__init__(address, handler)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Serves in a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops serving and closes the socket; wakes up delayed answers."""
        self._stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()

    def serve_until_interrupted(self) -> None:
        """Serves in the foreground until Ctrl-C (the simulators' command lines), then stops."""
        try:
            self.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients that gave up (timeouts) close their sockets."""
        logger.debug("simulator: connection error", exc_info=True)
