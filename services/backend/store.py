"""The receiver's span store: SQLite (Python's ``sqlite3``), in memory or in a file.

``SpanStore()`` keeps spans in memory (for notebooks) up to ``max_spans`` and counts what
it had to drop; ``SpanStore("traces.db")`` keeps them in a file, across restarts. One
connection behind a lock serves every thread, so concurrent exporters lose nothing.

Schema (one row per span)::

    CREATE TABLE spans (
        seq          INTEGER PRIMARY KEY,  -- arrival order
        trace_id     TEXT NOT NULL,        -- 32 hex digits
        span_id      TEXT NOT NULL,        -- 16 hex digits
        parent_id    TEXT,                 -- NULL for a root span
        service      TEXT NOT NULL,        -- the resource's service.name
        name         TEXT NOT NULL,
        kind         TEXT NOT NULL,        -- server, client, internal, producer, consumer
        status       TEXT NOT NULL,        -- UNSET, OK, ERROR
        start_ns     INTEGER NOT NULL,
        end_ns       INTEGER NOT NULL,
        duration_ns  INTEGER NOT NULL,
        scope        TEXT NOT NULL,        -- instrumentation scope name
        resource     BLOB NOT NULL,        -- opentelemetry.proto.resource.v1.Resource
        span         BLOB NOT NULL         -- opentelemetry.proto.trace.v1.Span
    );
    -- indexes on trace_id, service, name, status, duration_ns, start_ns

The searchable fields are columns; the span and its resource are kept whole, as OTLP
protobuf, so ``export`` gives back exactly what arrived (after the processors).

A file store runs with ``journal_mode=WAL`` and ``secure_delete=ON``: deleted or
overwritten content is zeroed, and ``scrub`` checkpoints the WAL and vacuums, so nothing
removed survives in the ``.db``, ``-wal`` or ``-shm`` files (SQLite otherwise keeps it in
free pages and in the WAL).

A write that fails because the disk is full or the database is locked raises
``StoreUnavailable``: the receiver answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto
from opentelemetry.proto.trace.v1.trace_pb2 import Status as StatusProto

SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    seq INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_id TEXT,
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    scope TEXT NOT NULL,
    resource BLOB NOT NULL,
    span BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_trace ON spans (trace_id);
CREATE INDEX IF NOT EXISTS spans_service ON spans (service);
CREATE INDEX IF NOT EXISTS spans_name ON spans (name);
CREATE INDEX IF NOT EXISTS spans_status ON spans (status);
CREATE INDEX IF NOT EXISTS spans_duration ON spans (duration_ns);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns);
"""

COLUMNS = "trace_id, span_id, parent_id, service, name, kind, status, start_ns, end_ns, " \
          "duration_ns, scope, resource, span"  # fmt: skip
#: The default span cap of an in-memory store (a file store has none).
MAX_MEMORY_SPANS = 500_000


class StoreUnavailable(Exception):
    """The store cannot write now (disk full, database locked): try again later."""


@dataclass(frozen=True)
class TraceSummary:
    """One trace as a search lists it."""

    trace_id: str
    root: str  # "service: span name" of its earliest span
    services: tuple[str, ...]
    spans: int
    errors: int
    start_ns: int
    duration_ms: float


def to_any_value(value) -> AnyValue:
    """A plain Python value as an OTLP AnyValue (the inverse of ``receiver.any_value``)."""
    out = AnyValue()
    if isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        out.int_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, bytes):
        out.bytes_value = value
    elif isinstance(value, list | tuple):
        out.array_value.values.extend(to_any_value(v) for v in value)
    elif isinstance(value, dict):
        out.kvlist_value.values.extend(
            KeyValue(key=k, value=to_any_value(v)) for k, v in value.items()
        )
    elif value is not None:
        out.string_value = str(value)
    return out


def resource_proto(attributes: dict) -> Resource:
    return Resource(
        attributes=[KeyValue(key=k, value=to_any_value(v)) for k, v in attributes.items()]
    )


_KINDS = {n: SpanProto.SpanKind.Name(n).removeprefix("SPAN_KIND_").lower()
          for n in SpanProto.SpanKind.values()}  # fmt: skip
_STATUSES = {n: StatusProto.StatusCode.Name(n).removeprefix("STATUS_CODE_")
             for n in StatusProto.StatusCode.values()}  # fmt: skip


def _row(received) -> tuple:
    span = received.otlp_span
    return (
        span.trace_id.hex(),
        span.span_id.hex(),
        span.parent_span_id.hex() or None,
        str(received.resource.get("service.name", "unknown_service")),
        span.name,
        _KINDS.get(span.kind, "unspecified"),
        _STATUSES.get(span.status.code, "UNSET"),
        span.start_time_unix_nano,
        span.end_time_unix_nano,
        span.end_time_unix_nano - span.start_time_unix_nano,
        received.scope,
        resource_proto(received.resource).SerializeToString(),
        span.SerializeToString(),
    )


class SpanStore:
    """Spans in SQLite: ``SpanStore()`` in memory, ``SpanStore(path)`` in a file."""

    def __init__(self, path: str | Path | None = None, max_spans: int | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.max_spans = max_spans if max_spans is not None else (
            None if self.path else MAX_MEMORY_SPANS)  # fmt: skip
        self.dropped = 0  # spans refused because the store was full
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                str(self.path) if self.path else ":memory:",
                check_same_thread=False,
                isolation_level=None,  # autocommit; we open transactions ourselves
                timeout=2.0,
            )
            self._db.execute("PRAGMA secure_delete = ON")
            if self.path:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.OperationalError as error:
            raise ValueError(f"cannot open the store {self.path}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise ValueError(f"{self.path} is not a span store: {error}") from None
        self._count = self._db.execute("SELECT count(*) FROM spans").fetchone()[0]

    def __repr__(self) -> str:
        return f"<SpanStore {self.path or 'in memory'}: {len(self)} spans, {self.dropped} dropped>"

    def __len__(self) -> int:
        return self._count

    def __iter__(self):
        """Its ``SpanRecord``s: so ``ck.waterfall(store, trace_id)``, ``ck.service_map(store)``
        and ``ck.trace_table(store)`` read the store directly."""
        return iter(self.records())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------------

    def add(self, received_spans: Iterable) -> int:
        """Store spans (``ReceivedSpan``s); return how many were dropped for the span cap."""
        rows = [_row(r) for r in received_spans]
        if not rows:
            return 0
        with self._lock:
            dropped = 0
            if self.max_spans is not None and self._count + len(rows) > self.max_spans:
                room = max(0, self.max_spans - self._count)
                dropped = len(rows) - room
                rows = rows[:room]
                self.dropped += dropped
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        f"INSERT INTO spans ({COLUMNS}) VALUES ({', '.join('?' * 13)})", rows
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:  # SQLite rolls back by itself on SQLITE_FULL
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as error:  # locked, disk full, read-only
                if self.max_spans is not None:
                    self.dropped -= dropped
                raise StoreUnavailable(str(error)) from None
            self._count += len(rows)
            return dropped

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM spans")
            self._count = 0
            self.dropped = 0

    # -- reading -------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple = ()) -> list:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def received(self, trace_id: str | None = None, service: str | None = None) -> list:
        """Stored spans as ``ReceivedSpan``s in arrival order (one trace's, one service's)."""
        from .receiver import ReceivedSpan, attributes

        where, params = _filters(trace_id=trace_id, service=service)
        rows = self._query(f"SELECT resource, scope, span FROM spans {where} ORDER BY seq", params)
        resources: dict[bytes, dict] = {}
        out = []
        for resource, scope, span in rows:
            if resource not in resources:
                resources[resource] = attributes(Resource.FromString(resource).attributes)
            out.append(ReceivedSpan(resources[resource], scope, SpanProto.FromString(span)))
        return out

    def records(self, trace_id: str | None = None, service: str | None = None) -> list:
        """The kit's ``SpanRecord``s (``coursekit.spans``), by start time: what the
        waterfall, service map and tables read."""
        from coursekit.spans import SpanRecord

        from .receiver import attributes

        where, params = _filters(trace_id=trace_id, service=service)
        rows = self._query(
            "SELECT trace_id, span_id, parent_id, name, service, kind, start_ns, end_ns, "
            f"status, span FROM spans {where} ORDER BY start_ns, span_id",
            params,
        )
        out = []
        for *columns, blob in rows:
            span = SpanProto.FromString(blob)
            out.append(SpanRecord(
                *columns,
                status_message=span.status.message,
                attributes=attributes(span.attributes),
                events=tuple((e.name, attributes(e.attributes)) for e in span.events),
            ))  # fmt: skip
        return out

    def traces(
        self,
        service: str | None = None,
        name: str | None = None,
        status: str | None = None,
        min_duration_ms: float | None = None,
        since_ns: int | None = None,
        until_ns: int | None = None,
        limit: int = 100,
    ) -> list[TraceSummary]:
        """Traces with at least one span that matches every given condition, newest first."""
        where, params = _filters(service=service, name=name, status=status,
                                 min_duration_ms=min_duration_ms, since_ns=since_ns,
                                 until_ns=until_ns)  # fmt: skip
        ids = [row[0] for row in self._query(
            f"SELECT trace_id, max(start_ns) AS latest FROM spans {where} "
            "GROUP BY trace_id ORDER BY latest DESC LIMIT ?", (*params, limit))]  # fmt: skip
        summaries = []
        for trace_id in ids:
            rows = self._query(
                "SELECT service, name, status, start_ns, end_ns FROM spans WHERE trace_id = ? "
                "ORDER BY start_ns, seq", (trace_id,))  # fmt: skip
            start = min(r[3] for r in rows)
            summaries.append(TraceSummary(
                trace_id=trace_id,
                root=f"{rows[0][0]}: {rows[0][1]}",
                services=tuple(dict.fromkeys(r[0] for r in rows)),
                spans=len(rows),
                errors=sum(r[2] == "ERROR" for r in rows),
                start_ns=start,
                duration_ms=(max(r[4] for r in rows) - start) / 1e6,
            ))  # fmt: skip
        return summaries

    def services(self) -> list[str]:
        return [row[0] for row in self._query("SELECT DISTINCT service FROM spans ORDER BY 1")]

    def export_requests(
        self, trace_id: str | None = None, service: str | None = None, batch: int = 512
    ) -> Iterable[ExportTraceServiceRequest]:
        """The stored spans as export requests of up to ``batch`` spans, in arrival order."""
        where, params = _filters(trace_id=trace_id, service=service)
        rows = self._query(f"SELECT resource, scope, span FROM spans {where} ORDER BY seq", params)
        for first in range(0, len(rows), batch):
            request = ExportTraceServiceRequest()
            groups: dict[tuple[bytes, str], object] = {}
            for resource, scope, span in rows[first : first + batch]:
                if (resource, scope) not in groups:
                    resource_spans = next(
                        (rs for rs in request.resource_spans
                         if rs.resource.SerializeToString() == resource), None)  # fmt: skip
                    if resource_spans is None:
                        resource_spans = request.resource_spans.add()
                        resource_spans.resource.ParseFromString(resource)
                    scope_spans = resource_spans.scope_spans.add()
                    scope_spans.scope.name = scope
                    groups[resource, scope] = scope_spans
                groups[resource, scope].spans.add().ParseFromString(span)
            yield request

    # -- rewriting (scrub) ---------------------------------------------------------------

    def rewrite(self, change) -> tuple[int, int]:
        """Apply ``change(received_span) -> (new_received_span, values_changed)`` to every
        stored span; rewrite the spans it changed and leave nothing of the old content in
        the files. Returns (spans changed, values changed)."""
        from .receiver import ReceivedSpan, attributes

        with self._lock:
            rows = self._db.execute("SELECT seq, resource, scope, span FROM spans").fetchall()
            updates, values = [], 0
            for seq, resource, scope, span in rows:
                received = ReceivedSpan(attributes(Resource.FromString(resource).attributes),
                                        scope, SpanProto.FromString(span))  # fmt: skip
                new, changed = change(received)
                if changed:
                    values += changed
                    updates.append((*_row(new), seq))
            assignments = ", ".join(f"{c.strip()} = ?" for c in COLUMNS.split(","))
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(f"UPDATE spans SET {assignments} WHERE seq = ?", updates)
            self._db.execute("COMMIT")
            self.compact()
            return len(updates), values

    def compact(self) -> None:
        """Move the WAL into the database, zero free pages (VACUUM rebuilds the file), and
        empty the WAL again: no removed content stays in any of the store's files."""
        with self._lock:
            if self.path:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            if self.path:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _filters(**conditions) -> tuple[str, tuple]:
    clauses, params = [], []
    for key, value in conditions.items():
        if value is None or value == "":
            continue
        if key == "min_duration_ms":
            clauses.append("duration_ns >= ?")
            params.append(int(float(value) * 1e6))
        elif key == "since_ns":
            clauses.append("start_ns >= ?")
            params.append(int(value))
        elif key == "until_ns":
            clauses.append("start_ns <= ?")
            params.append(int(value))
        else:
            clauses.append(f"{key} = ?")
            params.append(value.upper() if key == "status" else value)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)
