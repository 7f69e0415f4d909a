"""A real HTTP server on a free loopback port, in a thread: what the fakes of outside systems
(an OpenAI-compatible API, Rasa's HTTP API, an operator's webhook receiver) are served by."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    def __init__(
        self, handler: type[BaseHTTPRequestHandler], poll_interval_s: float = 0.05
    ) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # shutdown() waits up to one poll, so a short one keeps teardown quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(poll_interval_s,), daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
