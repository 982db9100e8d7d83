"""Spans from anywhere, in one shape the rules read.

OTLP/JSON files are decoded by the maintained libraries, not by hand: ``opentelemetry-proto``
gives the message types (resource, span, event, link, key-value) and protobuf's
``json_format`` parses the JSON into them. The one thing OTLP/JSON does differently from
protobuf's JSON mapping is ids: hex, not base64, so they are converted before
``json_format`` reads the rest, by the receiver's own ``id_to_base64`` (``services/backend/
otlp.py``, which imports no part of the shop). See ``_Decoder`` for why it parses span by
span rather than the whole request at once.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import json
import os
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from services.backend.otlp import id_to_base64

#: OTLP's SpanKind and StatusCode enums, by number, as the SDK's names.
_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
_STATUSES = ("UNSET", "OK", "ERROR")


class LoadError(Exception):
    """Input the doctor cannot read; the message is one line that says which and why."""


class Span:
    """One span, with its resource's attributes and its links (which ``SpanRecord`` lacks)."""

    __slots__ = (
        "trace_id",
        "span_id",
        "parent_id",
        "name",
        "service",
        "kind",
        "start_ns",
        "end_ns",
        "status",
        "status_message",
        "attributes",
        "events",
        "links",
        "resource",
    )

    def __init__(
        self,
        trace_id: str,
        span_id: str,
        parent_id: str | None,
        name: str,
        service: str,
        kind: str = "internal",
        start_ns: int = 0,
        end_ns: int = 0,
        status: str = "UNSET",
        status_message: str = "",
        attributes: dict | None = None,
        events: tuple = (),  # (name, attributes) pairs
        links: tuple = (),  # (trace_id, span_id, attributes) triples
        resource: dict | None = None,
    ) -> None:
        self.trace_id, self.span_id, self.parent_id = trace_id, span_id, parent_id or None
        self.name, self.service, self.kind = name, service, kind
        self.start_ns, self.end_ns = start_ns, end_ns
        self.status, self.status_message = status, status_message
        self.attributes = attributes if attributes is not None else {}
        self.events, self.links = events, links
        self.resource = resource if resource is not None else {"service.name": service}

    def __repr__(self) -> str:
        return f"Span({self.service}: {self.kind} {self.name!r}, trace {self.trace_id[:8]}…)"


# --- from protobuf messages -------------------------------------------------------------


def _any_value(value):
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return tuple(_any_value(v) for v in value.array_value.values)
    if which == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def _attributes(key_values) -> dict:
    return {kv.key: _any_value(kv.value) for kv in key_values}


def from_request(request: ExportTraceServiceRequest) -> list[Span]:
    """The spans of one ``ExportTraceServiceRequest``."""
    spans = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        service = str(resource.get("service.name", "unknown_service"))
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                spans.append(_from_proto(s, service, resource))
    return spans


def _span(s, service: str, resource: dict, status: tuple[str, str], **parsed) -> Span:
    """A Span from a decoded span message; ``parsed`` holds what was decoded on the side."""
    return Span(
        trace_id=s.trace_id.hex(),
        span_id=s.span_id.hex(),
        parent_id=s.parent_span_id.hex() or None,
        name=s.name,
        service=service,
        kind=_KINDS[s.kind] if 0 <= s.kind < len(_KINDS) else "unspecified",
        start_ns=s.start_time_unix_nano,
        end_ns=s.end_time_unix_nano,
        status=status[0],
        status_message=status[1],
        resource=resource,
        **parsed,
    )


def _from_proto(s, service: str, resource: dict) -> Span:
    status = (_STATUSES[s.status.code] if 0 <= s.status.code < 3 else "UNSET", s.status.message)
    return _span(
        s,
        service,
        resource,
        status,
        attributes=_attributes(s.attributes),
        events=tuple((e.name, _attributes(e.attributes)) for e in s.events),
        links=tuple(
            (link.trace_id.hex(), link.span_id.hex(), _attributes(link.attributes))
            for link in s.links
        ),
    )


# --- from OTLP/JSON ---------------------------------------------------------------------


def _b64(holder: dict, key: str, where: str) -> None:
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping of ``bytes`` wants base64."""
    value = holder.get(key)
    if isinstance(value, str) and value:
        try:
            holder[key] = id_to_base64(value)
        except ValueError:
            raise LoadError(f"{where}: {key} {value[:40]!r} is not hex") from None


def _list(holder: dict, key: str, where: str) -> list:
    value = holder.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise LoadError(f"{where}: `{key}` must be a list of objects")
    return value


def _parse(document: dict, message, where: str):
    try:
        # OTLP says receivers ignore fields they do not know (a newer producer's additions).
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise LoadError(f"{where}: not valid OTLP/JSON: {detail[:200]}") from None
    return message


_SCALARS = ("stringValue", "intValue", "boolValue", "doubleValue")
_SPAN_FIELDS = (
    "traceId",
    "spanId",
    "parentSpanId",
    "name",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
)


class _Decoder:
    """Parses OTLP/JSON with protobuf's ``json_format``, one piece at a time: each span's
    own fields, and each *distinct* attribute once. Most attributes repeat from span to span
    (methods, hosts, status codes), and ``json_format`` is pure Python: parsing every copy
    would make 100,000 spans take several times longer, for the same values."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.cache: dict = {}

    def attributes(self, items: list) -> dict:
        out = {}
        for item in items:
            value = item.get("value")
            cache_key = None
            if isinstance(value, dict) and len(value) == 1:
                ((kind, scalar),) = value.items()
                if kind in _SCALARS and isinstance(scalar, (str, int, float, bool)):
                    cache_key = (item.get("key"), kind, scalar, type(scalar))
            decoded = self.cache.get(cache_key) if cache_key else None
            if decoded is None:
                kv = _parse(item, KeyValue(), self.where)
                decoded = (kv.key, _any_value(kv.value))
                if cache_key:
                    self.cache[cache_key] = decoded
            out[decoded[0]] = decoded[1]
        return out

    def status(self, document) -> tuple[str, str]:
        if not document:
            return ("UNSET", "")
        if not isinstance(document, dict):
            raise LoadError(f"{self.where}: `status` must be an object")
        cache_key = ("status", *sorted((k, str(v)) for k, v in document.items()))
        decoded = self.cache.get(cache_key)
        if decoded is None:
            st = _parse(document, Status(), self.where)
            code = _STATUSES[st.code] if 0 <= st.code < len(_STATUSES) else "UNSET"
            decoded = self.cache[cache_key] = (code, st.message)
        return decoded

    def span(self, document: dict, service: str, resource: dict) -> Span:
        where = self.where
        # The fields the rules read; the status (one of a few) is parsed once per variant.
        fields = {k: document[k] for k in _SPAN_FIELDS if k in document}
        for key in ("traceId", "spanId", "parentSpanId"):
            _b64(fields, key, where)
        s = _parse(fields, SpanProto(), where)
        status = self.status(document.get("status"))
        events = []
        for event in _list(document, "events", where):
            e = _parse(
                {k: v for k, v in event.items() if k != "attributes"}, SpanProto.Event(), where
            )
            events.append((e.name, self.attributes(_list(event, "attributes", where))))
        links = []
        for link in _list(document, "links", where):
            fields = {k: v for k, v in link.items() if k != "attributes"}
            _b64(fields, "traceId", where)
            _b64(fields, "spanId", where)
            li = _parse(fields, SpanProto.Link(), where)
            links.append(
                (
                    li.trace_id.hex(),
                    li.span_id.hex(),
                    self.attributes(_list(link, "attributes", where)),
                )
            )
        return _span(
            s,
            service,
            resource,
            status,
            attributes=self.attributes(_list(document, "attributes", where)),
            events=tuple(events),
            links=tuple(links),
        )


def _not_otlp(document, where: str) -> LoadError:
    if isinstance(document, dict):
        data = document.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict) and "processes" in data[0]:
            return LoadError(
                f"{where}: this is Jaeger's own JSON, not OTLP: export OTLP/JSON "
                "(the Collector's file exporter writes it)"
            )
        keys = ", ".join(sorted(map(str, document))[:5]) or "none"
        return LoadError(f"{where}: JSON, but not OTLP traces: no resourceSpans (keys: {keys})")
    return LoadError(
        f"{where}: JSON, but not OTLP traces: a {type(document).__name__}, "
        "expected an object with resourceSpans"
    )


def from_document(document, where: str) -> list[Span] | None:
    """The spans of one OTLP/JSON export request (a parsed JSON object); None for an OTLP
    logs or metrics request, which the Collector's file exporter may write alongside."""
    if not isinstance(document, dict) or "resourceSpans" not in document:
        if isinstance(document, dict) and (
            "resourceLogs" in document or "resourceMetrics" in document
        ):
            return None
        raise _not_otlp(document, where)
    decoder = _Decoder(where)
    spans = []
    for resource_spans in _list(document, "resourceSpans", where):
        resource_json = resource_spans.get("resource", {})
        if not isinstance(resource_json, dict):
            raise LoadError(f"{where}: `resource` must be an object")
        resource = _attributes(_parse(resource_json, Resource(), where).attributes)
        service = str(resource.get("service.name", "unknown_service"))
        for scope_spans in _list(resource_spans, "scopeSpans", where):
            for span in _list(scope_spans, "spans", where):
                spans.append(decoder.span(span, service, resource))
    return spans


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LoadError(f"{path}: is a folder; name the files in it") from None
    except OSError as error:
        raise LoadError(f"{path}: cannot read it: {error.strerror or error}") from None


@contextlib.contextmanager
def paused_gc():
    """Millions of short-lived dicts and tuples would set off the cyclic garbage collector
    again and again, each time walking every span already loaded; they hold no cycles, so
    it is paused while spans are decoded or checked."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _lines(text: str):
    """The lines of ``text`` one at a time (``splitlines`` would copy them all at once)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _documents(text: str, path: str):
    """(parsed JSON, where) pairs: the file as one document, or one per line."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as whole:
        first_error = whole
    else:
        yield document, path
        return
    seen = False
    for n, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as error:
            # Not JSON Lines either when the first line fails: report the whole file's error.
            bad, line_no = (error, n) if seen else (first_error, first_error.lineno)
            raise LoadError(
                f"{path}: not JSON (line {line_no}, column {bad.colno}: {bad.msg})"
            ) from None
        seen = True
        yield document, f"{path}, line {n}"


def read_path(path: str | os.PathLike) -> list[Span]:
    """The spans in one OTLP/JSON file: one export request, or one per line (JSON Lines, as
    the Collector's ``file`` exporter writes). A ``.gz`` file is decompressed first."""
    path = os.fspath(path)
    data = _read_bytes(path)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise LoadError(f"{path}: not valid gzip: {error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(f"{path}: not UTF-8 text (OTLP/JSON is; is this OTLP protobuf?)") from None
    del data  # the text is a copy: a big file need not be held twice
    if not text.strip():
        raise LoadError(f"{path}: is empty")
    spans: list[Span] = []
    traces_seen = False
    with paused_gc():
        for document, where in _documents(text, path):  # one at a time: less memory
            found = from_document(document, where)
            if found is not None:
                traces_seen = True
                spans.extend(found)
    if not traces_seen:
        raise LoadError(f"{path}: OTLP logs or metrics, but no traces")
    return spans


# --- from Python objects ----------------------------------------------------------------


def from_sdk(span) -> Span:
    """A finished SDK span (``ReadableSpan``, what an ``InMemorySpanExporter`` holds)."""
    from opentelemetry import trace

    resource = dict(span.resource.attributes) if span.resource is not None else {}
    return Span(
        trace_id=trace.format_trace_id(span.context.trace_id),
        span_id=trace.format_span_id(span.context.span_id),
        parent_id=trace.format_span_id(span.parent.span_id) if span.parent else None,
        name=span.name,
        service=str(resource.get("service.name", "unknown_service")),
        kind=span.kind.name.lower(),
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        status=span.status.status_code.name,
        status_message=span.status.description or "",
        attributes=dict(span.attributes or {}),
        events=tuple((e.name, dict(e.attributes or {})) for e in span.events),
        links=tuple(
            (
                trace.format_trace_id(link.context.trace_id),
                trace.format_span_id(link.context.span_id),
                dict(link.attributes or {}),
            )
            for link in span.links
        ),
        resource=resource,
    )


def from_record(record) -> Span:
    """A ``coursekit.spans.SpanRecord`` (it keeps the service name but no other resource)."""
    return Span(
        trace_id=record.trace_id,
        span_id=record.span_id,
        parent_id=record.parent_id,
        name=record.name,
        service=record.service,
        kind=record.kind,
        start_ns=record.start_ns,
        end_ns=record.end_ns,
        status=record.status,
        status_message=record.status_message,
        attributes=dict(record.attributes),
        events=tuple(record.events),
    )


def _one(item) -> list[Span]:
    if isinstance(item, Span):
        return [item]
    if isinstance(item, (str, os.PathLike)):
        return read_path(item)
    from opentelemetry.sdk.trace import ReadableSpan  # not needed for files: imported late

    from ..spans import SpanRecord

    if isinstance(item, SpanRecord):
        return [from_record(item)]
    if isinstance(item, ReadableSpan):
        return [from_sdk(item)]
    if isinstance(item, ExportTraceServiceRequest):
        return from_request(item)
    if hasattr(item, "otlp_span") and hasattr(item, "resource"):  # the receiver's spans
        resource = dict(item.resource)
        return [
            _from_proto(
                item.otlp_span, str(resource.get("service.name", "unknown_service")), resource
            )
        ]
    if callable(getattr(item, "get_finished_spans", None)):  # an InMemorySpanExporter
        return spans_from(item.get_finished_spans())
    if callable(getattr(item, "spans", None)):  # a shop, a receiver or its store
        return spans_from(item.spans())
    raise TypeError(
        f"the doctor reads spans, span records, OTLP/JSON paths, exporters or stores, "
        f"not {type(item).__name__}"
    )


def spans_from(source) -> list[Span]:
    """Spans from a path, a span, or anything that holds spans, or a list of these."""
    if isinstance(source, (str, os.PathLike)) or not isinstance(source, Iterable):
        return _one(source)
    spans: list[Span] = []
    for item in source:
        spans.extend(_one(item))
    return spans
