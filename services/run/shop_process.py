"""The whole shop as one separate OS process (``python -m services``), configured by
environment.

    with ShopProcess({"OTEL_TRACES_EXPORTER": "otlp", ...}) as shop:
        requests.post(f"{shop.url()}/checkout", json={})

Starting waits until the shop prints its URLs; a shop that fails to start is reported
with its own output within seconds instead of hanging. The lifecycle (Ctrl-C so the batch
span processors flush, cleanup at exit) is ``lifecycle.py``'s.
"""

from __future__ import annotations

import sys
import time

from ..common.environment import environment_without_otel
from ..common.lifecycle import ChildProcess, FailedToStart
from ..common.semconv import STABLE_HTTP

#: Raised when the shop process does not start (kept under its old name).
ShopFailedToStart = FailedToStart


class ShopProcess(ChildProcess):
    name = "the shop process"
    stop_timeout = 15.0

    def __init__(self, env: dict[str, str] | None = None, start_timeout: float = 60) -> None:
        # The child gets this environment minus any OTEL_* settings, plus ``env``.
        self.env = environment_without_otel()
        self.env.update(STABLE_HTTP)  # the shop sets it too; said here for the reader
        self.env.update(env or {}, PYTHONUNBUFFERED="1")
        self.start_timeout = start_timeout
        self.urls: dict[str, str] = {}

    def _command_and_env(self) -> tuple[list[str], dict[str, str]]:
        return [sys.executable, "-m", "services"], self.env

    def _wait_until_ready(self) -> None:
        """Read its output until the last line it prints once it serves; note the URLs."""
        deadline = time.monotonic() + self.start_timeout
        line = ""
        while "Ctrl-C" not in line:
            line = self.next_line(deadline - time.monotonic())
            if line is None or time.monotonic() > deadline:  # it ended, or is too slow
                raise self.failure("did not start")
            name, _, url = line.strip().partition(" ")
            if url.strip().startswith("http://127.0.0.1:"):
                self.urls[name] = url.strip()

    def url(self, service: str = "frontend") -> str:
        return self.urls[service]
