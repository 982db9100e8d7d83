"""A local OTLP/HTTP trace receiver: the course's stand-in for a tracing backend.

``POST /v1/traces`` takes OTLP in protobuf or JSON, gzip-compressed or not, as the
OpenTelemetry exporters send it, and keeps the spans in a SQLite store (store.py; in
memory unless given a file), after the processors of a Collector YAML (processors.py).
Bad input gets a clear status, and the receiver keeps serving:

- 400: the body is not OTLP (or not valid gzip);
- 413: the body, or what it decompresses to, is larger than ``max_body_bytes``;
- 415: a content type other than ``application/x-protobuf`` or ``application/json``,
  or a content encoding other than gzip;
- 503 with ``Retry-After``: the store cannot write now (disk full, database locked), or
  the receiver was told to refuse (``receiver.refuse(3)``, a backend having a bad minute).

A slow backend is one knob away: ``Receiver(answer_delay_ms=50)`` (or
``receiver.answer_delay_ms = 50`` while it runs) answers every export that much later,
which is what a Simple span processor makes a request wait for.

Spans with invalid ids are dropped and counted in a partial-success answer, as the OTLP
specification asks. With a ``tail_sampler`` (see tail_sampling.py), it keeps only the
traces the sampler's policies keep, as a Collector with ``tail_sampling`` would.
Start it with ``start_receiver()``, or ``with Receiver() as receiver``.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, request
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from ..common.lifecycle import ThreadServer
from . import otlp
from .processors import Pipeline
from .store import SpanStore, StoreUnavailable
from .tail_sampling import TailSampler


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as it arrived: its resource's and scope's attributes, and the OTLP span."""

    resource: dict
    scope: str
    otlp_span: SpanProto


def any_value(value):
    """An OTLP AnyValue as a plain Python value."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(any_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def attributes(key_values) -> dict:
    return {kv.key: any_value(kv.value) for kv in key_values}


def _valid_ids(span: SpanProto) -> bool:
    return (
        len(span.trace_id) == 16
        and any(span.trace_id)
        and len(span.span_id) == 8
        and any(span.span_id)
        and len(span.parent_span_id) in (0, 8)
    )


def received_spans(export: otlp.ExportTraceServiceRequest):
    """Every span of an export request, with its resource and scope."""
    for resource_spans in export.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(resource, scope_spans.scope.name, span)


class TraceStore:
    """What the receiver keeps: the spans that came through its processors (a tail sampler
    among them, if any), in a SQLite ``SpanStore`` (``db``). Thread-safe."""

    def __init__(
        self,
        tail_sampler: TailSampler | None = None,
        *,
        db: SpanStore | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.db = db if db is not None else SpanStore()
        if pipeline is None:
            pipeline = Pipeline([("tail_sampling", tail_sampler)] if tail_sampler else [])
        self.pipeline = pipeline
        self.tail_sampler = pipeline.tail_sampler
        self.requests = 0
        self.rejected_spans = 0
        #: How a slow or failing backend behaves (see ``Receiver``): the lessons' knobs.
        self.answer_delay_ms = 0.0
        self.refused_requests = 0  # how many export requests were answered 503 on purpose
        self._refuse_next = 0
        self._retry_after_s = 1
        self._in_flight = 0
        self._idle = threading.Condition()

    def add(self, export: otlp.ExportTraceServiceRequest) -> int:
        """Keep the request's valid spans; return how many were rejected (invalid ids, or
        over an in-memory store's span cap). ``StoreUnavailable`` if the store cannot write."""
        return self.add_explained(export)[0]

    def add_explained(self, export: otlp.ExportTraceServiceRequest) -> tuple[int, str]:
        """``add``, with the partial-success message that says why spans were rejected."""
        accepted, invalid = [], 0
        for received in received_spans(export):
            if _valid_ids(received.otlp_span):
                accepted.append(received)
            else:
                invalid += 1
        full = self.db.add(self.pipeline.add(accepted))
        with self._lock:
            self.requests += 1
            self.rejected_spans += invalid + full
        reasons = [f"{invalid} spans had invalid trace or span ids"] * bool(invalid)
        reasons += [f"{full} spans dropped: the in-memory store is full"] * bool(full)
        return invalid + full, "; ".join(reasons)

    def refuse(self, requests: int, retry_after_s: int = 1) -> None:
        """Answer the next ``requests`` exports with 503 and ``Retry-After: retry_after_s``."""
        if requests < 0 or retry_after_s < 0:
            raise ValueError("refuse() takes a number of requests and seconds, both >= 0")
        with self._lock:
            self._refuse_next, self._retry_after_s = requests, retry_after_s

    def take_refusal(self) -> int | None:
        """The Retry-After seconds if this request is to be refused, else None."""
        with self._lock:
            if self._refuse_next <= 0:
                return None
            self._refuse_next -= 1
            self.refused_requests += 1
            return self._retry_after_s

    @contextmanager
    def handling(self):
        """Around each request, so that ``wait_until_idle`` knows when all are stored."""
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    @property
    def in_flight(self) -> int:
        """Export requests being handled now (this one's /health call not among them)."""
        return self._in_flight

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def decide(self, force: bool = False) -> None:
        """Let the tail sampler decide the traces whose wait is over (all, with ``force``)."""
        if self.tail_sampler is not None:
            self.db.add(self.pipeline.decide(force=force))

    def spans(self) -> list[ReceivedSpan]:
        self.decide()
        return self.db.received()

    def records(self, **filters) -> list:
        """The kit's ``SpanRecord``s of what is stored (``trace_id=``, ``service=``)."""
        self.decide()
        return self.db.records(**filters)

    def clear(self) -> None:
        self.db.clear()
        with self._lock:
            self.requests = self.rejected_spans = 0


def create_app(store: TraceStore, max_body_bytes: int = otlp.MAX_BODY_BYTES) -> Flask:
    app = Flask("receiver")
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes

    def answer(body_and_type, status=200, **headers) -> Response:
        body, content_type = body_and_type
        return Response(body, status=status, content_type=content_type, headers=headers)

    @app.post("/v1/traces")
    def export_traces():
        with store.handling():
            return _export_traces()

    def _export_traces():
        content_type = request.headers.get("Content-Type")
        if store.answer_delay_ms > 0:  # a slow backend: the exporter waits this long
            time.sleep(store.answer_delay_ms / 1000)
        retry_after = store.take_refusal()
        if retry_after is not None:
            # OTLP/HTTP: 503 is retryable; the SDK's exporter backs off and tries again.
            refused = otlp.OtlpError(503, "the backend is refusing exports for now")
            return answer(
                otlp.error_body(refused, content_type), 503, **{"Retry-After": str(retry_after)}
            )
        try:
            body = request.get_data(cache=False)
            body = otlp.decode_body(body, request.headers.get("Content-Encoding"), max_body_bytes)
            export = otlp.parse_request(body, content_type)
        except otlp.OtlpError as error:
            return answer(otlp.error_body(error, content_type), error.status)
        try:
            rejected, message = store.add_explained(export)
        except StoreUnavailable as error:
            # OTLP/HTTP: 503 is retryable, and Retry-After says when to try again.
            unavailable = otlp.OtlpError(503, f"the store cannot write now: {error}")
            return answer(otlp.error_body(unavailable, content_type), 503, **{"Retry-After": "1"})
        return answer(otlp.encode(otlp.response(rejected, message), content_type))

    @app.errorhandler(413)
    def too_large(_error):
        error = otlp.OtlpError(413, f"the body is larger than {max_body_bytes} bytes")
        return answer(otlp.error_body(error, request.headers.get("Content-Type")), 413)

    @app.errorhandler(400)
    def bad_request(_error):  # e.g. a chunked body cut short
        error = otlp.OtlpError(400, "the request could not be read")
        return answer(otlp.error_body(error, request.headers.get("Content-Type")), 400)

    @app.get("/health")
    def health():
        return {"status": "ok", "spans": len(store.db), "dropped": store.db.dropped,
                "in_flight": store.in_flight}  # fmt: skip

    return app


class Receiver(ThreadServer):
    """The receiver on a free 127.0.0.1 port (or ``port``). ``endpoint`` is what an exporter
    needs. ``store``: a ``SpanStore`` or a file path (default: in memory); ``config``: a
    Collector YAML whose trace processors it runs (see processors.py)."""

    def __init__(
        self,
        max_body_bytes: int = otlp.MAX_BODY_BYTES,
        tail_sampler: TailSampler | None = None,
        *,
        store: SpanStore | str | Path | None = None,
        config: str | Path | None = None,
        pipeline: Pipeline | None = None,
        port: int = 0,
        answer_delay_ms: float = 0,
    ) -> None:
        if config:
            pipeline = Pipeline.from_collector_file(config)
        db = store if isinstance(store, SpanStore) else SpanStore(store)
        self.store = TraceStore(tail_sampler, db=db, pipeline=pipeline)
        self.store.answer_delay_ms = answer_delay_ms
        super().__init__(create_app(self.store, max_body_bytes), "receiver", port=port)
        self.endpoint = f"{self.url}/v1/traces"

    @property
    def db(self) -> SpanStore:
        """The SQLite store (search it, export it, hand it to ``coursekit.explore``)."""
        return self.store.db

    def spans(self) -> list[ReceivedSpan]:
        return self.store.spans()

    def records(self, **filters) -> list:
        return self.store.records(**filters)

    @property
    def answer_delay_ms(self) -> float:
        """Milliseconds every export waits for its answer (a slow backend); settable."""
        return self.store.answer_delay_ms

    @answer_delay_ms.setter
    def answer_delay_ms(self, value: float) -> None:
        if value < 0:
            raise ValueError(f"answer_delay_ms must be >= 0, not {value}")
        self.store.answer_delay_ms = value

    def refuse(self, requests: int, retry_after_s: int = 1) -> None:
        """Answer the next ``requests`` exports with 503 and ``Retry-After``."""
        self.store.refuse(requests, retry_after_s)

    def decide_now(self) -> None:
        """Tail sampling: decide every pending trace now instead of after the wait."""
        self.store.decide(force=True)

    def clear(self) -> None:
        self.store.clear()

    def _stop(self) -> None:
        super()._stop()  # accepts no more requests
        self.store.wait_until_idle()  # the requests already in are stored
        if self.store.tail_sampler is not None:
            self.store.decide(force=True)  # nothing held back is lost

    def __repr__(self) -> str:
        return f"<Receiver {self.endpoint}: {len(self.store.db)} spans>"


def start_receiver(**options) -> Receiver:
    """Start a receiver and return it: ``receiver = start_receiver()``; ``receiver.stop()``."""
    return Receiver(**options).start()


if __name__ == "__main__":
    from .cli import main

    main()
