"""A WSGI app served from a background thread on a free 127.0.0.1 port."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietRequestHandler(WSGIRequestHandler):
    """No access-log line per request: the services write their own logs."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class BackgroundServer:
    """Binds at once (port 0: the OS picks a free port, no race), serves once started."""

    def __init__(self, app, name: str) -> None:
        self.name = name
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread: threading.Thread | None = None
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> BackgroundServer:
        if self._thread is not None:  # already serving: starting twice is harmless
            return self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"server-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, join the thread, close the socket. Safe to repeat."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class ServedApp:
    """Start/stop and ``with`` for a class that serves an app through ``self._server``."""

    _server: BackgroundServer

    def start(self):
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
