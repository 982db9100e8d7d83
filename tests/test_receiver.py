"""The local OTLP/HTTP receiver: real exporters in, clear statuses for bad input."""

from __future__ import annotations

import gzip
import json
import time

import pytest
import requests
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import coursekit as ck
from coursekit.spans import from_otlp_json
from services.backend import otlp
from services.backend.receiver import start_receiver
from services.common.telemetry import make_tracer_provider
from services.run.in_process import Shop, exporting_to


@pytest.fixture
def receiver():
    running = start_receiver(max_body_bytes=64 * 1024)
    yield running
    running.stop()


def shop_exporting_to(endpoint: str, **exporter_options) -> Shop:
    return Shop(provider_factory=exporting_to(endpoint, **exporter_options))


def one_checkout(shop: Shop) -> None:
    with shop:
        assert requests.post(f"{shop.url()}/checkout", json={}, timeout=10).ok


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_the_real_otlp_exporter_round_trips_a_checkout(receiver, compression):
    one_checkout(shop_exporting_to(receiver.endpoint, compression=compression))
    trace = ck.one_trace(receiver.spans())
    assert len(trace) == 9
    assert {s.service for s in trace} == {"frontend", "checkout", "inventory", "payment"}
    ids = {s.span_id for s in trace}
    assert all(s.parent_id in ids for s in trace if s.parent_id)
    lookup = next(s for s in trace if s.name == "lookup stock")
    assert lookup.kind == "internal" and lookup.attributes["app.item"] == "espresso-machine"
    assert sum(1 for s in trace if s.kind == "server") == 4
    assert len(ck.waterfall(receiver.spans()).data) == 4, "the kit draws received spans too"


def test_otlp_json_round_trip_matches_protobuf(receiver):
    with Shop() as shop:
        requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
        sdk_spans = shop.spans()
    document = otlp.request_to_json(encode_spans(sdk_spans))
    assert '"traceId": "' + ck.records(sdk_spans)[0].trace_id in document, "ids must be hex"
    answer = requests.post(receiver.endpoint, data=document,
                           headers={"Content-Type": "application/json"}, timeout=5)  # fmt: skip
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    received = ck.records(receiver.spans())
    expected = ck.records(sdk_spans)
    from_file = from_otlp_json(document)  # the kit reads an OTLP/JSON document directly
    assert [r.span_id for r in from_file] == [r.span_id for r in expected]
    assert len(ck.waterfall(from_file).data) == 4
    assert [(r.trace_id, r.span_id, r.parent_id, r.name, r.service, r.kind, r.status)
            for r in received] == [
           (r.trace_id, r.span_id, r.parent_id, r.name, r.service, r.kind, r.status)
            for r in expected]  # fmt: skip


def post(receiver, body: bytes, content_type: str, **headers):
    return requests.post(receiver.endpoint, data=body,
                         headers={"Content-Type": content_type, **headers}, timeout=5)  # fmt: skip


def status_message(answer) -> str:
    if answer.headers["Content-Type"] == otlp.PROTOBUF:
        return Status.FromString(answer.content).message
    return json_format.Parse(answer.text, Status()).message


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status", "says"),
    [
        (b"\xff\xff\xff", otlp.PROTOBUF, {}, 400, "not an OTLP protobuf"),
        (b"{not json", otlp.JSON, {}, 400, "not OTLP JSON"),
        (b'{"resourceSpans": 3}', otlp.JSON, {}, 400, "not OTLP JSON"),
        (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}).encode(),
         otlp.JSON, {}, 400, "is not hex"),
        (b"not gzip", otlp.PROTOBUF, {"Content-Encoding": "gzip"}, 400, "not valid gzip"),
        (b"{}", "text/plain", {}, 415, "unsupported content type"),
        (b"{}", "", {}, 415, "unsupported content type"),
        (b"x" * (65 * 1024), otlp.JSON, {}, 413, "larger than"),
        (gzip.compress(b"\0" * (1024 * 1024)), otlp.PROTOBUF, {"Content-Encoding": "gzip"}, 413,
         "decompressed body is larger"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_status_and_the_receiver_keeps_serving(
    receiver, body, content_type, headers, status, says
):
    answer = post(receiver, body, content_type, **headers)
    assert answer.status_code == status
    assert says in status_message(answer)
    one_checkout(shop_exporting_to(receiver.endpoint))
    assert len(receiver.spans()) == 9, "the receiver stopped working after bad input"


def test_spans_with_invalid_ids_get_a_partial_success(receiver):
    good = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "fine",
        "kind": 2,
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
    }
    zero_trace = {**good, "traceId": "0" * 32, "name": "zero trace id"}
    short_span = {**good, "spanId": "eee1", "name": "short span id"}
    document = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "curl"}}]},
        "scopeSpans": [{"spans": [good, zero_trace, short_span]}]}]}  # fmt: skip
    answer = requests.post(receiver.endpoint, json=document, timeout=5)
    assert answer.status_code == 200
    reply = json_format.Parse(answer.text, ExportTraceServiceResponse())
    assert reply.partial_success.rejected_spans == 2
    assert "invalid" in reply.partial_success.error_message
    assert [r.name for r in ck.records(receiver.spans())] == ["fine"]
    assert ck.records(receiver.spans())[0].service == "curl"


def test_an_empty_request_is_accepted_and_stop_frees_the_port():
    receiver = start_receiver()
    assert post(receiver, b"", otlp.PROTOBUF).status_code == 200
    receiver.stop()
    receiver.stop()
    with pytest.raises(requests.ConnectionError):
        post(receiver, b"", otlp.PROTOBUF)


def test_starting_twice_or_with_a_started_receiver_leaks_no_thread():
    import threading

    baseline = threading.active_count()
    with start_receiver() as receiver:  # start_receiver() started it; `with` starts it again
        receiver.start()
    assert threading.active_count() == baseline


def test_a_slow_backend_makes_each_export_wait_at_least_its_delay(receiver):
    receiver.answer_delay_ms = 60
    exporter = OTLPSpanExporter(endpoint=receiver.endpoint)
    provider = make_tracer_provider("slow", exporter, processor_factory=SimpleSpanProcessor)
    try:
        started = time.perf_counter()
        with provider.get_tracer("t").start_as_current_span("one"):
            pass  # a Simple processor exports as the span ends, on this thread
        waited = time.perf_counter() - started
    finally:
        provider.shutdown()
        receiver.answer_delay_ms = 0
    assert waited >= 0.060
    assert len(receiver.spans()) == 1


def test_a_refusing_backend_answers_503_with_retry_after_then_recovers(receiver):
    receiver.refuse(2, retry_after_s=0)
    body = otlp.encode(otlp.ExportTraceServiceRequest(), "application/x-protobuf")[0]
    headers = {"Content-Type": "application/x-protobuf"}
    answers = [requests.post(receiver.endpoint, data=body, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "0"
    assert receiver.store.refused_requests == 2
    with pytest.raises(ValueError):
        receiver.refuse(-1)
