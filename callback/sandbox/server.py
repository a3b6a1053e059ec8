"""Serve a WSGI app on 127.0.0.1 in a background thread (tests, the demo)."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class BackgroundServer:
    """A threaded werkzeug server on a loopback port; port 0 picks a free one."""

    def __init__(self, app=None, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        # Dispatch through self.app so the app can be built after the port is known.
        self._server = make_server(host, port, lambda environ, start: self.app(environ, start), threaded=True)
        self.host, self.port = host, self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"server:{self.port}", daemon=True
        )

    def start(self) -> BackgroundServer:
        """Start answering requests."""
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (a foreground server)."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop answering and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
