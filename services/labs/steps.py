"""What the account page's instrumentation does with each step: a decision per step name.

``Steps(tracer, decisions)`` wraps each step of a handler. The decision for a step's name
is one of:

- ``"span"``: a span of its own (what every step gets with no decisions);
- ``"event"``: an event on the span around it (its name and attributes, and the error if
  it failed): no duration, and far cheaper than a span;
- ``"count"``: a count attribute on the span around it (``<name>.count``): the cheapest,
  and it keeps no detail at all;
- ``"drop"``: nothing.

The decision is made before the step runs, as any instrumentation must decide whether to
start a span. A request whose baggage carries ``app.trace.detail=full`` gets every step
as a span, whatever the decisions say: detailed tracing for one request, or one customer.
With no tracer, nothing is recorded at all (tracing off).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

from opentelemetry import baggage, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

ACTIONS = ("span", "event", "count", "drop")
#: Baggage that switches every step back to a span, for one request.
DETAIL_KEY, DETAIL_FULL = "app.trace.detail", "full"


class Steps:
    def __init__(self, tracer: trace.Tracer | None, decisions: Mapping[str, str] | None = None):
        unknown = {a for a in (decisions or {}).values() if a not in ACTIONS}
        if unknown:
            raise ValueError(f"unknown actions {sorted(unknown)}: choose from {ACTIONS}")
        self.tracer = tracer
        self.decisions = dict(decisions or {})

    def action(self, name: str) -> str:
        if baggage.get_baggage(DETAIL_KEY) == DETAIL_FULL:
            return "span"
        return self.decisions.get(name, "span")

    @contextmanager
    def step(self, name: str, kind: SpanKind = SpanKind.INTERNAL, attributes=None):
        """One step of the handler. Yields the step's span, or a dict that collects what
        ``annotate`` adds when the step is an event (None otherwise)."""
        action = "drop" if self.tracer is None else self.action(name)
        if action == "span":
            with self.tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
                yield span
            return
        parent = trace.get_current_span()
        if action == "count":
            yield None
            key = f"{name}.count"
            seen = parent.attributes.get(key, 0) if hasattr(parent, "attributes") else 0
            parent.set_attribute(key, seen + 1)
            return
        if action == "drop":
            yield None
            return
        noted = dict(attributes or {})  # "event"
        try:
            yield noted
        except Exception as error:
            noted.setdefault("error.type", type(error).__name__)
            parent.add_event(name, {**noted, "exception.message": str(error)})
            raise
        parent.add_event(name, noted)

    @staticmethod
    def annotate(span, attributes: Mapping) -> None:
        """Add attributes to what ``step`` yielded: a span, an event's attributes, or nothing."""
        if span is None:
            return
        if isinstance(span, dict):
            span.update(attributes)
        else:
            span.set_attributes(dict(attributes))
            if "error.type" in attributes:
                span.set_status(Status(StatusCode.ERROR, f"status {attributes['error.type']}"))
