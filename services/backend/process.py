"""The receiver as its own OS process (``python -m services.receiver serve``).

    with ReceiverProcess(store="traces.db") as receiver:
        ... receiver.url, receiver.endpoint ...

Starting waits until it prints its URL; stopping sends Ctrl-C, and it stores every request
it has taken before it exits. The lifecycle is ``common/lifecycle.py``'s.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from ..common.lifecycle import ChildProcess


class ReceiverProcess(ChildProcess):
    name = "the receiver process"
    stop_timeout = 30.0

    def __init__(
        self,
        store: str | Path | None = None,
        config: str | Path | None = None,
        port: int = 0,
        start_timeout: float = 60,
    ) -> None:
        self.args = ["serve", "--port", str(port)]
        if store is not None:
            self.args += ["--store", str(store)]
        if config is not None:
            self.args += ["--config", str(config)]
        self.start_timeout = start_timeout
        self.url = self.endpoint = None

    def _command_and_env(self) -> tuple[list[str], dict[str, str]]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return [sys.executable, "-m", "services.receiver", *self.args], env

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        line = ""
        while "Ctrl-C" not in line:
            line = self.next_line(deadline - time.monotonic())
            if line is None or time.monotonic() > deadline:
                raise self.failure("did not start")
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
            if found:
                self.url = found.group(1)
                self.endpoint = f"{self.url}/v1/traces"
