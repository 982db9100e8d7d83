"""A local OTLP/HTTP trace receiver: the course's stand-in for a tracing backend.

``POST /v1/traces`` takes OTLP in protobuf or JSON, gzip-compressed or not, as the
OpenTelemetry exporters send it, and keeps the spans in memory for a notebook to read.
Bad input gets a clear status, and the receiver keeps serving:

- 400: the body is not OTLP (or not valid gzip);
- 413: the body, or what it decompresses to, is larger than ``max_body_bytes``;
- 415: a content type other than ``application/x-protobuf`` or ``application/json``.

Spans with invalid ids are dropped and counted in a partial-success answer, as the OTLP
specification asks. With a ``tail_sampler`` (see tail_sampling.py), it keeps only the
traces the sampler's policies keep, as a Collector with ``tail_sampling`` would.
Start it with ``start_receiver()``, or ``with Receiver() as receiver``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Flask, Response, request
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from ..common.lifecycle import ThreadServer
from . import otlp
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
    """The spans received so far (thread-safe), after tail sampling if there is a sampler."""

    def __init__(self, tail_sampler: TailSampler | None = None) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReceivedSpan] = []
        self.tail_sampler = tail_sampler
        self.requests = 0
        self.rejected_spans = 0

    def add(self, export: otlp.ExportTraceServiceRequest) -> int:
        """Keep the request's valid spans; return how many were rejected."""
        accepted, rejected = [], 0
        for received in received_spans(export):
            if _valid_ids(received.otlp_span):
                accepted.append(received)
            else:
                rejected += 1
        if self.tail_sampler is not None:
            accepted = self.tail_sampler.add(accepted)
        with self._lock:
            self._spans.extend(accepted)
            self.requests += 1
            self.rejected_spans += rejected
        return rejected

    def decide(self, force: bool = False) -> None:
        """Let the tail sampler decide the traces whose wait is over (all, with ``force``)."""
        if self.tail_sampler is not None:
            kept = self.tail_sampler.decide(force=force)
            with self._lock:
                self._spans.extend(kept)

    def spans(self) -> list[ReceivedSpan]:
        self.decide()
        with self._lock:
            return list(self._spans)

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self.requests = self.rejected_spans = 0


def create_app(store: TraceStore, max_body_bytes: int = otlp.MAX_BODY_BYTES) -> Flask:
    app = Flask("receiver")
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes

    def answer(body_and_type, status=200) -> Response:
        body, content_type = body_and_type
        return Response(body, status=status, content_type=content_type)

    @app.post("/v1/traces")
    def export_traces():
        content_type = request.headers.get("Content-Type")
        try:
            body = request.get_data(cache=False)
            if request.headers.get("Content-Encoding", "").lower() == "gzip":
                body = otlp.gunzip(body, max_body_bytes)
            export = otlp.parse_request(body, content_type)
        except otlp.OtlpError as error:
            return answer(otlp.error_body(error, content_type), error.status)
        rejected = store.add(export)
        message = f"{rejected} spans had invalid trace or span ids" if rejected else ""
        return answer(otlp.encode(otlp.response(rejected, message), content_type))

    @app.errorhandler(413)
    def too_large(_error):
        error = otlp.OtlpError(413, f"the body is larger than {max_body_bytes} bytes")
        return answer(otlp.error_body(error, request.headers.get("Content-Type")), 413)

    @app.get("/health")
    def health():
        return {"status": "ok", "spans": len(store.spans())}

    return app


class Receiver(ThreadServer):
    """The receiver on a free 127.0.0.1 port. ``endpoint`` is what an exporter needs."""

    def __init__(
        self, max_body_bytes: int = otlp.MAX_BODY_BYTES, tail_sampler: TailSampler | None = None
    ) -> None:
        self.store = TraceStore(tail_sampler)
        super().__init__(create_app(self.store, max_body_bytes), "receiver")
        self.endpoint = f"{self.url}/v1/traces"

    def spans(self) -> list[ReceivedSpan]:
        return self.store.spans()

    def decide_now(self) -> None:
        """Tail sampling: decide every pending trace now instead of after the wait."""
        self.store.decide(force=True)

    def clear(self) -> None:
        self.store.clear()

    def __repr__(self) -> str:
        return f"<Receiver {self.endpoint}: {len(self.spans())} spans>"


def start_receiver(**options) -> Receiver:
    """Start a receiver and return it: ``receiver = start_receiver()``; ``receiver.stop()``."""
    return Receiver(**options).start()
