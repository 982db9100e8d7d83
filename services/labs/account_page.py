"""The account page: exercise 06's lab, a request handler that makes 50 spans.

A customer opens their account page. The handler checks the session, evaluates feature
flags, reads the profile from a cache, queries a database (the customer, their orders,
then each order's items: one query per order, an N+1), renders each order, calls a
recommendations service, translates a few labels and renders the page. Every step is
instrumented, as an eager team would, through ``Steps.step``: 50 spans per request.

Two incidents are planted on a fixed schedule (deterministic, so outputs repeat):

- the ``SELECT orders`` query is slow on every ``slow_query_every``-th request;
- the call to ``recommendations`` answers 503 on every ``failing_call_every``-th request
  (the page is still served, without recommendations).

The handler runs in-process, without HTTP, so that microseconds of tracing can be measured
against it; its waits are sleeps, as a database or a network call would be. What to do with
each step is a decision per step name (``Steps(tracer, decisions)``): see ``steps.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from opentelemetry.trace import SpanKind

from .steps import Steps


class DownstreamError(Exception):
    """The recommendations service answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"recommendations answered {status}")
        self.status = status


@dataclass(frozen=True)
class AccountPage:
    """The lab's knobs: its incidents' schedule and its waits, in milliseconds."""

    slow_query_every: int = 5  #: SELECT orders is slow on requests 5, 10, 15... (0: never)
    slow_query_ms: float = 30.0  #: how much slower
    failing_call_every: int = 4  #: recommendations answers 503 on requests 4, 8... (0: never)
    orders: int = 10  #: orders on the page (each: a query for its items, a render, a price)
    labels: int = 9  #: labels translated
    query_ms: float = 0.6  #: SELECT customers and SELECT orders
    item_query_ms: float = 0.15  #: each SELECT order_items
    call_ms: float = 1.0  #: the call to recommendations
    render_ms: float = 1.0  #: template.render

    def is_slow(self, request: int) -> bool:
        return self.slow_query_every > 0 and request % self.slow_query_every == 0

    def call_fails(self, request: int) -> bool:
        return self.failing_call_every > 0 and request % self.failing_call_every == 0

    def handle(self, steps: Steps, request: int, customer: str = "c-1042") -> dict:
        """Serve request number ``request`` (from 1); every step goes through ``steps``."""
        with steps.step(
            "GET /account",
            SpanKind.SERVER,
            {
                "http.request.method": "GET",
                "http.route": "/account",
                "url.path": "/account",
                "app.customer.id": customer,
            },
        ):
            with steps.step("auth.verify_session"):
                session = {"customer": customer, "valid": True}
            flags = {}
            for key in ("new-header", "dark-mode", "loyalty-banner"):
                with steps.step("feature_flag.evaluate", attributes={"feature_flag.key": key}):
                    flags[key] = hash(key) % 2 == 0
            with steps.step("cache.get", attributes={"app.cache.key": "profile"}):
                profile = {"name": "Ana", "tier": "gold"}
            with steps.step("SELECT customers", SpanKind.CLIENT, _db("SELECT customers")):
                _wait(self.query_ms)
            slow = self.slow_query_ms if self.is_slow(request) else 0.0
            with steps.step("SELECT orders", SpanKind.CLIENT, _db("SELECT orders")):
                _wait(self.query_ms + slow)  # planted: slow_query_every
            rows = []
            for number in range(1, self.orders + 1):
                with steps.step("render order", attributes={"app.order.number": number}):
                    with steps.step(
                        "SELECT order_items", SpanKind.CLIENT, _db("SELECT order_items")
                    ):
                        _wait(self.item_query_ms)
                    with steps.step("format.currency"):
                        rows.append(f"order {number}: {12.5 * number:.2f} EUR")
            recommendations = self._recommendations(steps, request)
            labels = [_translated(steps, f"label-{n}") for n in range(self.labels)]
            with steps.step("template.render"):
                _wait(self.render_ms)
            with steps.step("json.serialize"):
                page = {
                    "session": session["valid"],
                    "flags": flags,
                    "profile": profile,
                    "orders": rows,
                    "recommendations": recommendations,
                    "labels": labels,
                }
            return page

    def _recommendations(self, steps: Steps, request: int) -> list[str]:
        attributes = {
            "http.request.method": "GET",
            "server.address": "recommendations",
            "service.peer.name": "recommendations",
            "url.full": "http://recommendations/recommendations",
        }
        try:
            with steps.step("GET /recommendations", SpanKind.CLIENT, attributes) as span:
                _wait(self.call_ms)
                status = 503 if self.call_fails(request) else 200  # planted: failing_call_every
                steps.annotate(span, {"http.response.status_code": status})
                if status >= 400:
                    steps.annotate(span, {"error.type": str(status)})
                    raise DownstreamError(status)
                return ["grinder", "filters"]
        except DownstreamError:
            return []  # the page is served without recommendations


def _db(summary: str) -> dict:
    return {"db.system.name": "postgresql", "db.query.summary": summary, "db.namespace": "shop"}


def _translated(steps: Steps, key: str) -> str:
    with steps.step("i18n.translate", attributes={"app.i18n.key": key}):
        return key.upper()


def _wait(ms: float) -> None:
    if ms > 0:
        time.sleep(ms / 1000)


#: Every step the handler makes, once per request unless a count says otherwise.
STEP_COUNTS = {
    "GET /account": 1,
    "auth.verify_session": 1,
    "feature_flag.evaluate": 3,
    "cache.get": 1,
    "SELECT customers": 1,
    "SELECT orders": 1,
    "render order": 10,
    "SELECT order_items": 10,
    "format.currency": 10,
    "GET /recommendations": 1,
    "i18n.translate": 9,
    "template.render": 1,
    "json.serialize": 1,
}


@dataclass(frozen=True)
class Step:
    """One kind of step, as instrumentation sees it before it runs: what a decision reads."""

    name: str
    kind: str  #: "server", "client" (a database query or an HTTP call) or "internal"
    attributes: tuple  #: (key, value) pairs the step starts with; read it as dict(...)
    per_request: int  #: how many times one request runs it (more than 1: a loop)


def steps_catalogue() -> tuple[Step, ...]:
    """Every step of the handler, in the order a request first reaches it."""
    spans = run_catalogue_request()
    seen: dict[str, Step] = {}
    for span in sorted(spans, key=lambda s: s.start_time):
        if span.name not in seen:
            seen[span.name] = Step(
                span.name,
                span.kind.name.lower(),
                tuple(
                    sorted(
                        (k, v) for k, v in (span.attributes or {}).items() if k not in _ADDED_LATER
                    )
                ),
                STEP_COUNTS[span.name],
            )
    return tuple(seen.values())


#: Attributes a step sets as it ends, not as it starts.
_ADDED_LATER = {"http.response.status_code", "error.type"}


def run_catalogue_request():
    """One request, every step a span, recorded in memory (no incident)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    quick = AccountPage(
        slow_query_every=0,
        failing_call_every=0,
        query_ms=0,
        item_query_ms=0,
        call_ms=0,
        render_ms=0,
    )
    quick.handle(Steps(provider.get_tracer("account-page")), 1)
    provider.shutdown()
    return exporter.get_finished_spans()
