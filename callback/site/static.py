"""A quiet static file server on 127.0.0.1: the demo's site, the checks' local build, tests and benchmarks."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass  # the console belongs to whoever started the server (the demo's instructions, a report)


class StaticServer:
    """Serve a built site directory on 127.0.0.1 (directory URLs, index.html, as GitHub Pages does)."""

    def __init__(self, directory: str | Path, port: int = 0):
        handler = functools.partial(_Quiet, directory=str(directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def serve_directory(root: str | Path) -> Iterator[str]:
    """Serve a directory for as long as the block runs; yield its base URL (ending in /)."""
    server = StaticServer(root).start()
    try:
        yield server.url + "/"
    finally:
        server.stop()
