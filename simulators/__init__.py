"""Local stand-ins for the third-party services Colibri calls."""

import socket


def free_port() -> int:
    """A TCP port free on loopback right now, for a local server to listen on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
