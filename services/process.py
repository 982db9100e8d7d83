"""The shop as a separate OS process (``python -m services``), configured by environment.

    with ShopProcess({"OTEL_TRACES_EXPORTER": "otlp", ...}) as shop:
        requests.post(f"{shop.url()}/checkout", json={})

Starting waits until the shop prints its URLs; a shop that fails to start is reported
with its own output within seconds instead of hanging. Stopping sends Ctrl-C (so the
batch span processors flush), then kills it if it does not exit. A shop left running is
stopped when the interpreter exits.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import subprocess
import sys
import threading
import time


def environment_without_otel() -> dict[str, str]:
    """This process's environment minus its OTEL_* settings: a child gets only its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}


def interrupt(process: subprocess.Popen, timeout: float) -> None:
    """Ctrl-C (SIGINT), so the SDK flushes on the way out; kill it if it does not exit."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: Every running shop process (a strong set, as in shop.py).
_running: set[ShopProcess] = set()


class ShopFailedToStart(RuntimeError):
    pass


class ShopProcess:
    def __init__(self, env: dict[str, str] | None = None, start_timeout: float = 20) -> None:
        # The child gets this environment minus any OTEL_* settings, plus ``env``.
        self.env = environment_without_otel()
        self.env.update(env or {}, PYTHONUNBUFFERED="1")
        self.start_timeout = start_timeout
        self.urls: dict[str, str] = {}
        self.output: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        self._process: subprocess.Popen | None = None

    def start(self) -> ShopProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "services"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env,
        )  # fmt: skip
        _running.add(self)
        self._reader = threading.Thread(target=self._read_output, daemon=True, name="shop-process")
        self._reader.start()
        deadline = time.monotonic() + self.start_timeout
        line = ""
        while "Ctrl-C" not in line:  # the last line the shop prints once it serves
            try:
                line = self._lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > deadline:  # it ended, or is too slow
                self.stop()
                raise ShopFailedToStart(
                    "the shop process did not start; its output was:\n" + "".join(self.output)
                )
            name, _, url = line.strip().partition(" ")
            if url.strip().startswith("http://127.0.0.1:"):
                self.urls[name] = url.strip()
        return self

    def _read_output(self) -> None:
        for line in self._process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def url(self, service: str = "frontend") -> str:
        return self.urls[service]

    def stop(self, timeout: float = 15) -> None:
        """Ctrl-C, so exporters flush; kill if it does not exit in time. Safe to repeat."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        interrupt(process, timeout)
        self._reader.join(timeout=5)  # it reads to the end of the output, then stops
        process.stdout.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> ShopProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def stop_all_shop_processes() -> None:
    for shop in list(_running):
        shop.stop()


atexit.register(stop_all_shop_processes)
