"""`python -m services`: the shop in the foreground, configured by OTEL_* variables."""

from __future__ import annotations

import http.server
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class _Capture(http.server.BaseHTTPRequestHandler):
    received: queue.Queue

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def otlp_capture():
    received: queue.Queue = queue.Queue()
    handler = type("Capture", (_Capture,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def run_shop_process(env_overrides: dict[str, str]):
    """Start `python -m services`, wait for its URLs; return (process, urls, output lines)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(env_overrides, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "services"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue = queue.Queue()

    def read_output():
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read_output, daemon=True).start()
    urls, seen, deadline = {}, [], time.monotonic() + 20
    while "Ctrl-C" not in "".join(seen):
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            pytest.fail(f"the shop did not start:\n{''.join(seen)}")
        seen.append(line)
        name, _, url = line.strip().partition(" ")
        if url.strip().startswith("http://127.0.0.1:"):
            urls[name] = url.strip()
    return process, urls, lines, seen


def stop(process, lines, seen) -> str:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    while not lines.empty():
        seen.append(lines.get())
    return "".join(seen)


def test_otlp_over_http_reaches_a_real_receiver(otlp_capture):
    endpoint, received = otlp_capture
    process, urls, lines, seen = run_shop_process(
        {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        }
    )
    assert set(urls) == {"frontend", "checkout", "inventory", "payment"}
    answer = requests.post(f"{urls['frontend']}/checkout", json={}, timeout=10)
    assert answer.status_code == 200
    output = stop(process, lines, seen)  # shutdown flushes the batch processors
    assert process.returncode == 0, output
    services, trace_ids = set(), set()
    while not received.empty():
        path, content_type, body = received.get()
        assert path == "/v1/traces" and content_type == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            services.add(attributes["service.name"])
            for scope in resource_spans.scope_spans:
                trace_ids.update(span.trace_id for span in scope.spans)
    assert services == {"frontend", "checkout", "inventory", "payment"}
    assert len(trace_ids) == 1, "one checkout should be one trace"
    assert "customer c-1042 clicked Buy Now" in output, "logs are echoed to the terminal"


def test_console_exporter_and_sampler_from_the_environment():
    process, urls, lines, seen = run_shop_process({"OTEL_TRACES_EXPORTER": "console"})
    requests.post(f"{urls['frontend']}/checkout", json={}, timeout=10)
    output = stop(process, lines, seen)
    assert '"name": "POST /checkout"' in output and "exporting traces to: console" in output

    process, urls, lines, seen = run_shop_process(
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_TRACES_SAMPLER": "always_off"}
    )
    requests.post(f"{urls['frontend']}/checkout", json={}, timeout=10)
    output = stop(process, lines, seen)
    assert '"name": "POST /checkout"' not in output, "always_off should export nothing"
    # Not sampled is not untraced: the trace id still travels, and the logs still carry it.
    assert "trace_id=" in output
