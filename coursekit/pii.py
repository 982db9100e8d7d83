"""Personal data and secrets in traces: stopped at the source, in the pipeline, and in
the store (lesson 07 and exercise 07).

- ``Rules.from_collector_file(path)``: the redaction of a Collector YAML (its
  ``redaction`` processor's settings, read by the course's receiver,
  ``services/backend/processors.py``) as plain rules for SDK values, so the SDK and the
  pipeline apply one policy;
- ``RedactingSpanProcessor(inner, rules)``: an SDK span processor that hands ``inner`` a
  redacted copy of every span it ends, so nothing secret leaves the process;
- ``redacted_copy(span, value, text)``: that copy, for your own processors;
- ``found_in_spans``, ``found_in_received``, ``found_in_files``: how often each secret
  still occurs, in SDK spans, in a receiver's stored spans, byte for byte in files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import yaml
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.trace import Status

from .quiet import quiet_logger


class Rules:
    """A Collector redaction processor's settings, applied to SDK attribute values."""

    def __init__(self, settings: dict) -> None:
        from services.backend.processors import Redaction

        self.redaction = Redaction(settings)

    @classmethod
    def from_collector_file(cls, path: str | Path) -> Rules:
        config = yaml.safe_load(Path(path).read_text())
        return cls(config["processors"]["redaction"])

    def text(self, text: str) -> str:
        return self.redaction.mask_text(text)[0]

    def value(self, key: str, value):
        """The value to keep under ``key``: unchanged, masked where it matches, or masked
        whole when the key says it holds a secret."""
        r = self.redaction
        if key in r.ignored_keys:
            return value
        if any(p.search(key) for p in r.blocked_key_patterns):
            return r._replacement(str(value))
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (tuple, list)):
            return tuple(self.text(v) if isinstance(v, str) else v for v in value)
        return value


def redacted_copy(
    span: ReadableSpan, value: Callable[[str, object], object], text: Callable[[str], str]
) -> ReadableSpan:
    """A copy of an ended span with ``value(key, v)`` applied to every span, event and link
    attribute, and ``text`` to its name, event names and status message. The resource is
    kept: the SDK's resource is the service's own configuration, not request data."""

    def attrs(attributes) -> dict:
        return {k: value(k, v) for k, v in (attributes or {}).items()}

    events = [Event(text(e.name), attrs(e.attributes), e.timestamp) for e in span.events]
    status = Status(span.status.status_code, text(span.status.description or "") or None)
    return ReadableSpan(
        name=text(span.name), context=span.context, parent=span.parent,
        resource=span.resource, attributes=attrs(span.attributes), events=events,
        links=span.links, kind=span.kind, status=status, start_time=span.start_time,
        end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
    )  # fmt: skip


class RedactingSpanProcessor(SpanProcessor):
    """Redacts each ended span, then passes the copy to ``inner`` (the processor that
    exports). Put it in place of ``inner``: ``provider.add_span_processor(
    RedactingSpanProcessor(BatchSpanProcessor(exporter), rules))``."""

    def __init__(self, inner: SpanProcessor, rules: Rules) -> None:
        self.inner = inner
        self.rules = rules

    def on_start(self, span, parent_context=None) -> None:
        self.inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self.inner.on_end(redacted_copy(span, self.rules.value, self.rules.text))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def truncation_warnings_off():
    """The SDK logs a warning for every value it truncates to its limit: quiet, here."""
    return quiet_logger("opentelemetry.attributes")


def found_in_spans(spans, secrets: dict[str, str]) -> dict[str, int]:
    """For each secret, how many times it occurs in SDK spans (names, attributes, events,
    status, resource: everything ``to_json`` writes)."""
    text = "\n".join(span.to_json(indent=None) for span in spans)
    return {name: text.count(secret) for name, secret in secrets.items()}


def found_in_received(spans, secrets: dict[str, str]) -> dict[str, int]:
    """The same for spans a receiver stored (OTLP protobuf, and their resources)."""
    data = b"\n".join(s.otlp_span.SerializeToString() + repr(s.resource).encode() for s in spans)
    return {name: data.count(secret.encode()) for name, secret in secrets.items()}


def found_in_files(paths: Iterable[str | Path], secrets: dict[str, str]) -> dict[str, int]:
    """For each secret (name -> value), how many times its bytes occur in the files."""
    found = dict.fromkeys(secrets, 0)
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        data = path.read_bytes()
        for name, secret in secrets.items():
            found[name] += data.count(secret.encode())
    return found


def say(found: dict[str, int]) -> str:
    """Counts in one short line: ``card 0, token 0, cookie 0, e-mail 0``."""
    return ", ".join(f"{name} {count}" for name, count in found.items())


def store_files(path: str | Path) -> list[Path]:
    """A SQLite database and its WAL and shared-memory files (those that exist)."""
    path = Path(path)
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def naive_delete(path: str | Path, secret: str) -> int:
    """What a hurried fix does: DELETE the spans that hold ``secret`` with SQLite's
    defaults (``secure_delete`` off, no VACUUM, the WAL left to SQLite). Returns how many
    rows it deleted. The secret's bytes stay in the freed space of the database's pages."""
    import sqlite3

    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA secure_delete=OFF")
        deleted = db.execute("DELETE FROM spans WHERE instr(span, ?) > 0", (secret.encode(),))
        db.commit()
        return deleted.rowcount
    finally:
        db.close()
