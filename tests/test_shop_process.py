"""`python -m services`: the shop as its own process, configured by OTEL_* variables."""

from __future__ import annotations

import http.server
import queue
import threading
import time

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from services.run.shop_process import ShopFailedToStart, ShopProcess


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
    """A bare HTTP server that keeps raw OTLP bodies: nothing of the course decodes them."""
    received: queue.Queue = queue.Queue()
    handler = type("Capture", (_Capture,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_otlp_over_http_reaches_a_real_receiver(otlp_capture):
    endpoint, received = otlp_capture
    settings = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
    }
    with ShopProcess(settings) as shop:
        assert set(shop.urls) == {"frontend", "checkout", "inventory", "payment"}
        assert requests.post(f"{shop.url()}/checkout", json={}, timeout=10).status_code == 200
    # Stopping sent Ctrl-C, and the batch processors flushed on the way out.
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
    assert "customer c-1042 clicked Buy Now" in "".join(shop.output), "logs echo to the terminal"


def test_console_exporter_and_sampler_from_the_environment():
    with ShopProcess({"OTEL_TRACES_EXPORTER": "console"}) as shop:
        requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
    output = "".join(shop.output)
    assert '"name": "POST /checkout"' in output and "exporting traces to: console" in output

    settings = {"OTEL_TRACES_EXPORTER": "console", "OTEL_TRACES_SAMPLER": "always_off"}
    with ShopProcess(settings) as shop:
        requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
    output = "".join(shop.output)
    assert '"name": "POST /checkout"' not in output, "always_off should export nothing"
    # Not sampled is not untraced: the trace id still travels, and the logs still carry it.
    assert "trace_id=" in output


def test_a_shop_that_cannot_start_says_why_within_seconds():
    started = time.monotonic()
    with pytest.raises(ShopFailedToStart, match="not found in entry point") as failure:
        ShopProcess({"OTEL_TRACES_EXPORTER": "no-such-exporter"}).start()
    assert time.monotonic() - started < 10
    assert "Traceback" not in str(failure.value), "a clear message, not a traceback wall"


def test_the_process_is_stopped_also_when_the_block_fails():
    with pytest.raises(RuntimeError), ShopProcess({"OTEL_TRACES_EXPORTER": "none"}) as shop:
        url = shop.url()
        raise RuntimeError("a cell failed")
    assert not shop.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)
