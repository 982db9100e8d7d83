"""One plain record per span, whatever the span came from.

The waterfall, service map, tables and checks all read ``SpanRecord``s, so they work the
same on spans from the SDK's in-memory exporter and (later) on spans decoded from OTLP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan


@dataclass(frozen=True)
class SpanRecord:
    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    parent_id: str | None  # None for a root span
    name: str
    service: str
    kind: str  # "server", "client", "internal", "producer", "consumer"
    start_ns: int
    end_ns: int
    status: str  # "UNSET", "OK" or "ERROR"
    status_message: str = ""
    attributes: dict = field(default_factory=dict)
    events: tuple = ()  # (name, attributes) pairs, e.g. ("exception", {...})
    links: tuple = ()  # (trace_id, span_id) of each span this one links to

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6

    @property
    def is_error(self) -> bool:
        return self.status == "ERROR"

    @property
    def exception(self) -> str | None:
        """``"Type: message"`` of the first exception recorded on the span, if any."""
        for name, attributes in self.events:
            if name == "exception":
                return f"{attributes.get('exception.type')}: {attributes.get('exception.message')}"
        return None


def from_sdk(span: ReadableSpan) -> SpanRecord:
    """A record from a finished SDK span (what an ``InMemorySpanExporter`` holds)."""
    return SpanRecord(
        trace_id=trace.format_trace_id(span.context.trace_id),
        span_id=trace.format_span_id(span.context.span_id),
        parent_id=trace.format_span_id(span.parent.span_id) if span.parent else None,
        name=span.name,
        service=str(span.resource.attributes.get("service.name", "unknown_service")),
        kind=span.kind.name.lower(),
        start_ns=span.start_time,
        end_ns=span.end_time,
        status=span.status.status_code.name,
        status_message=span.status.description or "",
        attributes=dict(span.attributes or {}),
        events=tuple((e.name, dict(e.attributes or {})) for e in span.events),
        links=tuple(
            (trace.format_trace_id(lk.context.trace_id), trace.format_span_id(lk.context.span_id))
            for lk in span.links
        ),
    )


def from_otlp(received) -> SpanRecord:
    """A record from a span that arrived over OTLP (``services.backend.receiver.ReceivedSpan``)."""
    from services.backend.receiver import (
        attributes,  # OTLP AnyValue decoding lives with the receiver
    )

    span = received.otlp_span
    kind = type(span).SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower()
    status = type(span.status).StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_")
    return SpanRecord(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_id=span.parent_span_id.hex() or None,
        name=span.name,
        service=str(received.resource.get("service.name", "unknown_service")),
        kind=kind,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        status=status,
        status_message=span.status.message,
        attributes=attributes(span.attributes),
        events=tuple((e.name, attributes(e.attributes)) for e in span.events),
        links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
    )


def from_otlp_json(text: str) -> list[SpanRecord]:
    """Records from an OTLP/JSON document, as a backend or the Collector's file exporter
    writes it (ids in hex)."""
    from services.backend.otlp import request_from_json
    from services.backend.receiver import received_spans

    return records(received_spans(request_from_json(text)))


def _record(span) -> SpanRecord:
    if isinstance(span, SpanRecord):
        return span
    if hasattr(span, "otlp_span"):
        return from_otlp(span)
    return from_sdk(span)


def records(spans: Iterable) -> list[SpanRecord]:
    """Records from SDK spans or received OTLP spans (records pass through), by start time."""
    return sorted((_record(s) for s in spans), key=lambda r: (r.start_ns, r.span_id))


def by_trace(spans: Iterable) -> dict[str, list[SpanRecord]]:
    """Records grouped by trace id, traces in the order they started."""
    grouped: dict[str, list[SpanRecord]] = {}
    for record in records(spans):
        grouped.setdefault(record.trace_id, []).append(record)
    return grouped


def one_trace(spans: Iterable, trace_id: str | None = None) -> list[SpanRecord]:
    """The records of one trace: ``trace_id``, or the only trace there is."""
    grouped = by_trace(spans)
    if trace_id is not None:
        if trace_id not in grouped:
            raise ValueError(f"no trace {trace_id!r} among {len(grouped)} traces")
        return grouped[trace_id]
    if len(grouped) != 1:
        raise ValueError(f"there are {len(grouped)} traces here: say which, with trace_id=...")
    return next(iter(grouped.values()))


def depth_first(trace_records: list[SpanRecord]) -> list[tuple[int, SpanRecord]]:
    """(depth, record) pairs, each parent followed by its children in start order.

    A span whose parent is not in the list (a broken or partial trace) counts as a root.
    """
    ids = {r.span_id for r in trace_records}
    children: dict[str | None, list[SpanRecord]] = {}
    for r in trace_records:
        parent = r.parent_id if r.parent_id in ids else None
        children.setdefault(parent, []).append(r)
    ordered: list[tuple[int, SpanRecord]] = []

    def visit(parent: str | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda r: (r.start_ns, r.span_id)):
            ordered.append((depth, child))
            visit(child.span_id, depth + 1)

    visit(None, 0)
    return ordered
