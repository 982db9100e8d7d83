"""The standalone files in examples/, each run as a real process against the local receiver.

Each example runs as its own process group on a free 127.0.0.1 port, with its ``OTEL_*``
variables pointing at a receiver started by the test; the test sends the requests, checks
the spans that arrive (service.name, span names, stable HTTP attributes) and stops every
process it started.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from services import start_receiver
from services.common.http import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0  # s: opentelemetry-instrument on a busy 2-core machine starts slowly


@pytest.fixture
def receiver():
    running = start_receiver()
    yield running
    running.stop()


def example_env(receiver, **more: str) -> dict[str, str]:
    """This environment without its own OTEL_* variables, exporting to the receiver."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,  # the exporter adds /v1/traces
        OTEL_BSP_SCHEDULE_DELAY="100",  # ms: spans arrive while the test waits
        PYTHONUNBUFFERED="1",
    )
    env.update(more)
    return env


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # it ended meanwhile
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                found.append(int(entry.name))
    return found


class Example:
    """One example as a process group of its own; ``stop`` leaves no process behind."""

    def __init__(self, command: list, env: dict, log: Path, port: int | None = None) -> None:
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}"
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [str(part) for part in command], cwd=ROOT, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the example exited ({self.process.returncode}):\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"the example did not listen on {self.port} in time:\n{self.output()}")

    def stop(self, sig: int = signal.SIGINT) -> int | None:
        """The signal that flushes its exporters, then SIGKILL for anything left."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=5)
        assert not group_members(self.process.pid), "an example's process outlived the test"
        return self.process.returncode


@pytest.fixture
def started(tmp_path):
    examples: list[Example] = []

    def start(command, env, port=None) -> Example:
        example = Example(command, env, tmp_path / f"output-{len(examples)}.txt", port)
        examples.append(example)
        if port is not None:
            example.wait_until_listening()
        return example

    yield start
    for example in examples:
        example.stop()


def wait_for_spans(receiver, done, timeout: float = 15.0) -> list:
    """The received spans once ``done(spans)`` holds (or whatever arrived by the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        spans = receiver.spans()
        if done(spans) or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


def names(spans) -> list[str]:
    return sorted(s.otlp_span.name for s in spans)


def by_name(spans, name: str) -> list:
    return [s for s in spans if s.otlp_span.name == name]


def attributes(span) -> dict:
    return {kv.key: kv.value for kv in span.otlp_span.attributes}


def documented_otel_variables(path: Path) -> dict[str, str]:
    """The OTEL_* variables the example's docstring tells a learner to set."""
    doc = ast.get_docstring(ast.parse(path.read_text()))
    return dict(re.findall(r"\b(OTEL_\w+)=(\S+)", doc))


def test_examples_are_short_and_standalone():
    files = sorted(EXAMPLES.glob("*.py"))
    assert len(files) >= 6
    readme = (EXAMPLES / "README.md").read_text()
    for path in files:
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.name}: say how to run it in a docstring"
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}  # fmt: skip
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        course = {m for m in imported if m and m.split(".")[0] in ("services", "coursekit")}
        assert not course, f"{path.name} imports the course: {course}"
        assert len(path.read_text().splitlines()) <= 60, f"{path.name} is too long to copy"
        assert f"`{path.name}`" in readme, f"examples/README.md does not list {path.name}"


FLASK_SERVERS = {
    "automatic": "example-automatic",
    "programmatic": "example-programmatic",
}


@pytest.mark.parametrize("way", FLASK_SERVERS)
def test_a_flask_checkout_makes_one_trace_across_client_and_servers(receiver, started, way):
    path = EXAMPLES / f"flask_{way}.py"
    port = free_port()
    if way == "automatic":  # exactly the variables the docstring gives, bar the endpoint
        documented = documented_otel_variables(path)
        documented["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.url
        env = example_env(receiver, PORT=str(port), **documented)
        command = [BIN / "opentelemetry-instrument", sys.executable, path]
    else:
        env, command = example_env(receiver, PORT=str(port)), [sys.executable, path]
    example = started(command, env, port)

    answer = requests.get(f"{example.url}/checkout", timeout=10)
    assert answer.json() == {"status": "ordered", "price": 42}

    expected = ["GET", "GET /checkout", "GET /price"]
    spans = wait_for_spans(receiver, lambda spans: names(spans) == expected)
    assert names(spans) == expected, example.output()
    assert {s.resource["service.name"] for s in spans} == {FLASK_SERVERS[way]}
    assert len({s.otlp_span.trace_id for s in spans}) == 1, "one trace: context propagated"
    (client,) = by_name(spans, "GET")
    (price,) = by_name(spans, "GET /price")
    assert price.otlp_span.parent_span_id == client.otlp_span.span_id
    server = attributes(by_name(spans, "GET /checkout")[0])
    assert server["http.request.method"].string_value == "GET", "stable HTTP semconv"
    assert "http.method" not in server, "old HTTP attribute names: set the semconv opt-in"
    assert example.stop() == 0, example.output()


def test_the_manual_server_span_continues_the_callers_trace(receiver, started):
    port = free_port()
    example = started([sys.executable, EXAMPLES / "flask_manual.py"],
                      example_env(receiver, PORT=str(port)), port)  # fmt: skip
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    header = {"traceparent": f"00-{trace_id}-{parent_id}-01"}
    assert requests.get(f"{example.url}/checkout", headers=header, timeout=10).status_code == 200
    assert requests.get(f"{example.url}/checkout?item=unicorn", timeout=10).status_code == 409

    spans = wait_for_spans(receiver, lambda spans: len(spans) == 4)
    assert names(spans) == ["GET /checkout"] * 2 + ["reserve stock"] * 2, example.output()
    assert {s.resource["service.name"] for s in spans} == {"example-manual"}
    servers = by_name(spans, "GET /checkout")
    assert all(s.otlp_span.kind == s.otlp_span.SPAN_KIND_SERVER for s in servers)
    continued = next(s for s in servers if s.otlp_span.trace_id.hex() == trace_id)
    assert continued.otlp_span.parent_span_id.hex() == parent_id, "extract() took the parent"
    failed = next(s for s in by_name(spans, "reserve stock") if s.otlp_span.status.code)
    assert failed.otlp_span.status.message == "out of stock"
    assert attributes(failed)["app.item"].string_value == "unicorn"
    codes = {attributes(s)["http.response.status_code"].int_value for s in servers}
    assert codes == {200, 409}
    assert not any(s.otlp_span.status.code for s in servers), "a 4xx leaves it unset"
    assert failed.otlp_span.parent_span_id in {s.otlp_span.span_id for s in servers}


def test_one_provider_exports_every_span_to_both_backends(receiver, tmp_path):
    result = subprocess.run(
        [sys.executable, EXAMPLES / "two_backends.py"], cwd=ROOT, env=example_env(receiver),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    spans = receiver.spans()  # the example flushes before it exits
    assert names(spans) == ["load orders", "load orders", "nightly report"]
    assert {s.resource["service.name"] for s in spans} == {"example-two-backends"}
    assert result.stdout.count('"name": "load orders"') == 2, "the console copy"
    assert result.stdout.count('"name": "nightly report"') == 1


def test_gunicorn_workers_export_after_fork_and_flush_at_exit(receiver, started):
    gunicorn = BIN / "gunicorn"  # in the lock: a missing one is a broken set-up, not a skip
    assert gunicorn.exists(), "gunicorn is missing: make setup"
    port = free_port()
    # A 60 s batch delay: the spans can only arrive through worker_exit's flush.
    env = example_env(receiver, PORT=str(port), OTEL_BSP_SCHEDULE_DELAY="60000")
    example = started([gunicorn, "-c", EXAMPLES / "gunicorn.conf.py"], env, port)
    # Until both workers answer, one may not handle signals yet (gunicorn installs its
    # handlers after post_fork): stopping it then would wait for gunicorn's 30 s timeout.
    workers, sent = set(), 0
    with ThreadPoolExecutor(4) as pool:
        deadline = time.monotonic() + START_TIMEOUT
        while len(workers) < 2 and time.monotonic() < deadline:
            answers = pool.map(lambda _: requests.get(f"{example.url}/hello", timeout=10), "1234")
            workers |= {answer.json()["worker"] for answer in answers}
            sent += 4
    assert len(workers) == 2, f"only workers {workers} answered:\n{example.output()}"
    assert example.process.pid not in workers, "the master forks workers to serve"
    assert example.stop(signal.SIGTERM) == 0, example.output()  # SIGTERM: graceful stop

    spans = receiver.spans()
    assert names(spans) == ["GET /hello"] * sent, example.output()
    assert {s.resource["service.name"] for s in spans} == {"example-gunicorn"}
    instances = {s.resource["service.instance.id"] for s in spans}
    assert len(instances) == 2, "each worker has its own provider"
    assert "http.request.method" in attributes(spans[0]), "stable HTTP semconv"
