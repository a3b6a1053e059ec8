"""Real servers on 127.0.0.1 for the tests: a free port, and waiting for /healthz to answer."""

from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int, seconds: float = 30) -> bool:
    """Wait up to `seconds` for the service on `port` to answer /healthz with 200."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).status == 200
        except OSError:
            time.sleep(0.2)
    return False
