"""The receiver's SQLite store: concurrent exporters lose nothing, files survive restarts,
the in-memory store caps and counts, and a store that cannot write answers 503."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

import coursekit as ck
from services.backend.receiver import Receiver, start_receiver
from services.backend.store import SpanStore


def send(endpoint: str, service: str, spans: int, *, error_every: int = 0) -> None:
    """``spans`` spans from one SDK with its own exporter, in traces of 10."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    tracer = provider.get_tracer("test")
    for t in range(spans // 10):
        with tracer.start_as_current_span(f"{service} root {t}"):
            for n in range(9):
                with tracer.start_as_current_span(f"child {n}") as span:
                    if error_every and (t * 9 + n) % error_every == 0:
                        span.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()  # flushes


def test_eight_concurrent_exporters_lose_nothing(tmp_path):
    with start_receiver(store=tmp_path / "traces.db") as receiver:
        senders = [threading.Thread(target=send, args=(receiver.endpoint, f"svc{n}", 1000))
                   for n in range(8)]  # fmt: skip
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        assert len(receiver.db) == 8000
        records = receiver.records()
        assert len({(r.trace_id, r.span_id) for r in records}) == 8000
        assert receiver.db.services() == [f"svc{n}" for n in range(8)]
        assert receiver.store.rejected_spans == 0 and receiver.db.dropped == 0


def test_a_file_store_is_kept_across_restarts_and_indexed(tmp_path):
    path = tmp_path / "traces.db"
    with start_receiver(store=path) as receiver:
        send(receiver.endpoint, "shop", 50, error_every=7)
    with start_receiver(store=path) as receiver:
        send(receiver.endpoint, "other", 20)
        assert len(receiver.db) == 70
        assert {r.service for r in receiver.records()} == {"shop", "other"}
    db = sqlite3.connect(path)
    indexed = {row[0] for row in db.execute("SELECT sql FROM sqlite_master WHERE type='index'")}
    db.close()
    for column in ("trace_id", "service", "name", "status", "duration_ns", "start_ns"):
        assert any(f"({column})" in sql for sql in indexed), column


def test_search_finds_traces_by_what_people_search_for():
    store = SpanStore()
    with start_receiver(store=store) as receiver:
        send(receiver.endpoint, "shop", 50, error_every=7)
        send(receiver.endpoint, "other", 20)
    assert len(store.traces()) == 7
    assert {t.trace_id for t in store.traces(service="other")} == {
        r.trace_id for r in store.records(service="other")
    }
    errors = store.traces(status="error")
    assert errors and all(t.errors for t in errors)
    assert all("shop" in t.services for t in errors)
    assert len(store.traces(name="shop root 3")) == 1
    longest = max(r.duration_ms for r in store.records())
    assert store.traces(min_duration_ms=longest * 2) == []
    first = min(r.start_ns for r in store.records())
    assert len(store.traces(since_ns=first)) == 7 and store.traces(until_ns=first - 1) == []
    trace_id = errors[0].trace_id
    assert len(ck.waterfall(store.records(trace_id=trace_id)).data) >= 1


def test_the_in_memory_store_caps_and_reports_what_it_dropped():
    with Receiver(store=SpanStore(max_spans=25)) as receiver:
        send(receiver.endpoint, "shop", 40)
        assert len(receiver.db) == 25
        assert receiver.db.dropped == 15
        assert receiver.store.rejected_spans == 15
        health = requests.get(f"{receiver.url}/health", timeout=5).json()
        assert health == {"status": "ok", "spans": 25, "dropped": 15, "in_flight": 0}
        assert "15 dropped" in repr(receiver.db)


def test_a_locked_store_answers_503_with_retry_after(tmp_path):
    path = tmp_path / "traces.db"
    with start_receiver(store=path) as receiver:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            body = ck_request_body()
            answer = requests.post(receiver.endpoint, data=body, timeout=30,
                                   headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
            assert answer.status_code == 503
            assert int(answer.headers["Retry-After"]) >= 1
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        answer = requests.post(receiver.endpoint, data=body, timeout=30,
                               headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
        assert answer.status_code == 200 and len(receiver.db) == 1


def ck_request_body(spans: int = 1) -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add().scope_spans.add()
    for n in range(spans):
        span = scope_spans.spans.add(name=f"span {n}" * 20)
        span.trace_id, span.span_id = b"\1" * 16, (n + 1).to_bytes(8, "big")
    return request.SerializeToString()


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "not.db"
    path.write_text("hello, I am not SQLite" * 100)
    with pytest.raises(ValueError, match="not a span store"):
        SpanStore(path)


def test_a_full_disk_answers_503_and_the_receiver_recovers(tmp_path):
    store = SpanStore(tmp_path / "traces.db")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's "disk is full"
    with start_receiver(store=store) as receiver:
        headers = {"Content-Type": "application/x-protobuf"}
        body = ck_request_body(500)  # more than the pages left
        answer = requests.post(receiver.endpoint, data=body, headers=headers, timeout=30)
        assert answer.status_code == 503 and answer.headers["Retry-After"]
        assert "full" in answer.text
        store._db.execute(f"PRAGMA max_page_count = {pages * 1000}")
        answer = requests.post(receiver.endpoint, data=body, headers=headers, timeout=30)
        assert answer.status_code == 200 and len(store) == 500


def test_the_kits_views_read_the_store_directly():
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from services.common.telemetry import make_tracer_provider
    from services.run.in_process import Shop

    with start_receiver() as receiver:

        def provider(service):
            exporter = OTLPSpanExporter(endpoint=receiver.endpoint)
            return make_tracer_provider(service, exporter, processor_factory=SimpleSpanProcessor)

        with Shop(provider_factory=provider) as shop:
            for _ in range(2):
                requests.post(f"{shop.url()}/checkout", json={}, timeout=30)
        store = receiver.db
        assert len(ck.trace_table(store).rows) == 2
        assert ("checkout", "payment") in ck.service_calls(store)
        trace_id = store.traces()[0].trace_id
        assert len(ck.waterfall(store, trace_id).data) == 4
        assert len(ck.span_table(store, trace_id).rows) == 9
