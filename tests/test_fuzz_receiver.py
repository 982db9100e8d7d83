"""Property tests (Hypothesis): whatever arrives, the receiver answers 2xx or 4xx, never 5xx
or a dropped connection, and keeps serving. It runs the shipped redaction policy, so the
processors see the odd input too."""

from __future__ import annotations

import gzip
import json
import string
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from services.backend import otlp
from services.backend.receiver import Receiver

POLICY = Path(__file__).resolve().parent.parent / "docker" / "otel-collector-redaction.yaml"
LIMIT = 256 * 1024
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])  # fmt: skip


@pytest.fixture(scope="module")
def receiver():
    with Receiver(max_body_bytes=LIMIT, config=POLICY) as running:
        yield running
        health = requests.get(f"{running.url}/health", timeout=10)
        assert health.status_code == 200, "the receiver stopped serving"


def post(receiver, body: bytes, content_type: str = otlp.PROTOBUF, **headers):
    answer = requests.post(receiver.endpoint, data=body, timeout=30,
                           headers={"Content-Type": content_type, **headers})  # fmt: skip
    assert answer.status_code < 500, answer.text
    return answer


def a_span(trace_id: bytes = b"\1" * 16) -> dict:
    return {"traceId": trace_id.hex(), "spanId": "0102030405060708", "name": "op",
            "startTimeUnixNano": "1", "endTimeUnixNano": "2"}  # fmt: skip


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                  max_size=4),
    max_leaves=30,
)  # fmt: skip
otlp_keys = st.sampled_from(["resourceSpans", "scopeSpans", "spans", "resource", "attributes",
                             "key", "value", "stringValue", "intValue", "arrayValue", "values",
                             "traceId", "spanId", "parentSpanId", "name", "kind", "status",
                             "events", "links", "startTimeUnixNano", "kvlistValue"])  # fmt: skip
otlp_shaped = st.recursive(
    json_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(otlp_keys, inner, max_size=4),
    max_leaves=40,
)


@FUZZ
@given(body=st.binary(max_size=2048))
def test_any_bytes_as_protobuf(receiver, body):
    post(receiver, body)


@FUZZ
@given(document=otlp_shaped)
def test_json_documents_shaped_like_otlp(receiver, document):
    post(receiver, json.dumps(document).encode(), otlp.JSON)


@FUZZ
@given(document=json_values, raw=st.binary(max_size=256))
def test_any_json_and_any_bytes_as_json(receiver, document, raw):
    post(receiver, json.dumps(document).encode(), otlp.JSON)
    post(receiver, raw, otlp.JSON)


@FUZZ
@given(data=st.data())
def test_gzip_cut_short_is_a_400(receiver, data):
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add()
    for n in range(data.draw(st.integers(1, 20))):
        span = spans.spans.add(trace_id=b"\1" * 16, span_id=(n + 1).to_bytes(8, "big"))
        span.name = data.draw(st.text(max_size=50))
    packed = gzip.compress(request.SerializeToString())
    cut = data.draw(st.integers(0, len(packed) - 1))
    answer = post(receiver, packed[:cut], **{"Content-Encoding": "gzip"})
    assert answer.status_code == 400, cut
    assert post(receiver, packed, **{"Content-Encoding": "gzip"}).status_code == 200


HEADER_SAFE = string.ascii_letters + string.digits + "-,;=. "


@FUZZ
@given(encoding=st.text(HEADER_SAFE, min_size=1, max_size=12).map(str.strip).filter(
    lambda e: e and e.lower() not in ("gzip", "identity")))  # fmt: skip
def test_unknown_content_encodings_are_refused(receiver, encoding):
    answer = post(receiver, b"", **{"Content-Encoding": encoding})
    assert answer.status_code == 415


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field, written by hand: the protobuf library refuses to
    build messages nested deeper than its own limit, which is what this test sends."""
    return bytes([tag]) + varint(len(payload)) + payload


def nested_request(depth: int, kind: str) -> bytes:
    """An export request with one span whose one attribute is nested ``depth`` deep."""
    value = field(0x0A, b"leaf")  # AnyValue.string_value
    for _ in range(depth):
        if kind == "array":  # AnyValue.array_value -> ArrayValue.values
            value = field(0x2A, field(0x0A, value))
        else:  # AnyValue.kvlist_value -> KeyValueList.values -> KeyValue(key, value)
            value = field(0x32, field(0x0A, field(0x0A, b"k") + field(0x12, value)))
    attribute = field(0x0A, b"deep") + field(0x12, value)
    span = field(0x0A, b"\1" * 16) + field(0x12, b"\2" * 8) + field(0x2A, b"deep") + \
        field(0x4A, attribute)  # fmt: skip
    return field(0x0A, field(0x12, field(0x12, span)))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(depth=st.integers(0, 400), kind=st.sampled_from(["array", "kvlist"]))
def test_nesting_depth_of_protobuf_values(receiver, depth, kind):
    body = nested_request(depth, kind)
    answer = post(receiver, body)
    assert answer.status_code in (200, 400)
    if depth < 10:
        assert answer.status_code == 200, "the hand-written message is valid"


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(depth=st.integers(1, 100_000))
def test_nesting_depth_of_json(receiver, depth):
    body = ("[" * depth + "]" * depth).encode()
    assert post(receiver, body, otlp.JSON).status_code in (400, 413)
    deep = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [a_span()]}]}]})
    nested = '{"arrayValue": {"values": [' * min(depth, 2000) + '{"stringValue": "x"}' + \
        "]}}" * min(depth, 2000)  # fmt: skip
    document = deep.replace('"name": "op"', f'"name": "op", "attributes": [{{"key": "d", '
                            f'"value": {nested}}}]')  # fmt: skip
    assert post(receiver, document.encode(), otlp.JSON).status_code in (200, 400, 413)


@FUZZ
@given(size=st.integers(0, 2 * LIMIT), gzipped=st.booleans())
def test_sizes_around_the_limit(receiver, size, gzipped):
    body = b"\0" * size
    headers = {}
    if gzipped:
        body, headers = gzip.compress(body), {"Content-Encoding": "gzip"}
    answer = post(receiver, body, **headers)
    too_big = size > LIMIT
    assert answer.status_code in ((413,) if too_big else (200, 400))


@FUZZ
@given(
    trace_id=st.binary(min_size=0, max_size=20),
    kind=st.integers(-(2**31), 2**31 - 1),
    status=st.integers(-(2**31), 2**31 - 1),
    start=st.integers(0, 2**64 - 1),
    end=st.integers(0, 2**64 - 1),
    name=st.text(max_size=200),
)
def test_odd_but_well_formed_spans_are_stored_or_rejected_and_readable(
    receiver, trace_id, kind, status, start, end, name
):
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(
        trace_id=trace_id, span_id=b"\2" * 8, name=name, kind=kind,
        start_time_unix_nano=start, end_time_unix_nano=end)  # fmt: skip
    span.status.code = status
    assert post(receiver, request.SerializeToString()).status_code == 200
    receiver.db.records()  # what it stored, the kit can read
    receiver.db.traces()
