"""A header recorder: answers every request with 200 and remembers its headers.

It stands in for a service you cannot look inside, so a lesson can see exactly what
arrives on the wire (``traceparent``, ``tracestate``, ``baggage``). Not traced itself.
"""

from __future__ import annotations

import threading

from flask import Flask, request

from ..common.lifecycle import ThreadServer


class HeaderRecorder(ThreadServer):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[dict[str, str]] = []
        app = Flask("recorder")

        @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
        @app.route("/<path:path>", methods=["GET", "POST"])
        def record(path):
            with self._lock:
                self.received.append({k.lower(): v for k, v in request.headers.items()})
            return "", 200

        super().__init__(app, "recorder")

    def last(self, header: str) -> str | None:
        """The named header of the last request received (None if absent)."""
        with self._lock:
            return self.received[-1].get(header.lower()) if self.received else None
