"""Synthetic traces with the brief's mix: a stratified, scaled-down sample of a month.

Each request kind (browse, search, checkout) comes in three strata: ordinary, failed and
slow. The sample holds a fixed number of traces per stratum (many more failed and slow
ones than their real share, so that "every failed checkout kept" is measured on enough
of them), and each sampled trace stands for ``weight`` real requests: the stratum's real
share of the month's requests divided by its sample size. The simulator multiplies what
it keeps of each stratum by that weight: that is the extrapolation to the month.

Spans are OTLP protobuf spans (``ReceivedSpan``, as the course's receiver holds them),
with the attributes real instrumentation writes (stable HTTP and database semantic
conventions) and, in places, the personal and card data the brief forbids in storage:
a card number a payment service puts in an attribute and in an exception message, the
customer's e-mail, bearer tokens in captured headers, a password in a query string.
Every planted value is listed, so a leak is found by searching the stored bytes for it.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from services.backend.receiver import ReceivedSpan
from services.backend.store import to_any_value

from .brief import Brief

MS = 1_000_000
#: Sampled traces per stratum: (ordinary, failed, slow).
SAMPLE = (1000, 40, 40)
STRATA = ("ordinary", "failed", "slow")
LANGUAGE = {"api-gateway": "go", "storefront-bff": "go", "search": "go", "catalog": "java",
            "pricing": "java", "recommendations": "python", "cart": "java",
            "checkout": "java", "inventory": "java", "fraud": "python", "payment": "java",
            "card-vault": "go", "orders": "java", "notification": "python"}  # fmt: skip


@dataclass(frozen=True)
class Trace:
    kind: str
    stratum: str
    weight: float  # real requests this sampled trace stands for
    spans: tuple  # ReceivedSpan
    duration_ms: float
    secrets: tuple  # planted values that must never be stored


@functools.cache
def _resource(service: str) -> dict:
    return {"service.name": service, "telemetry.sdk.language": LANGUAGE[service],
            "deployment.environment.name": "production", "cloud.region": "eu-west"}  # fmt: skip


def _scope(service: str) -> str:
    return f"io.opentelemetry.{LANGUAGE[service]}"


def _luhn(digits: str) -> str:
    """``digits`` plus the check digit that makes a valid card number."""
    total = 0
    for n, d in enumerate(reversed(digits)):
        d = int(d) * (2 if n % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


class _Builder:
    """Builds one trace's spans, nested in time, with a seeded id for each."""

    def __init__(self, draw: random.Random, start_ns: int, duration_ms: float, growth: float):
        self.draw, self.growth = draw, growth
        self.trace_id = draw.getrandbits(128).to_bytes(16, "big")
        self.start, self.duration = start_ns, int(duration_ms * MS)
        self.spans: list[ReceivedSpan] = []
        self.secrets: list[str] = []

    def span(self, service, name, kind, attrs, parent=None, share=(0.0, 1.0), error=None):
        p_start, p_end = (parent.start_time_unix_nano, parent.end_time_unix_nano) if parent \
            else (self.start, self.start + self.duration)  # fmt: skip
        length = p_end - p_start
        span = Span(trace_id=self.trace_id, span_id=self.draw.getrandbits(64).to_bytes(8, "big"),
                    name=name, kind=kind, start_time_unix_nano=p_start + int(length * share[0]),
                    end_time_unix_nano=p_start + int(length * share[1]))  # fmt: skip
        if parent is not None:
            span.parent_span_id = parent.span_id
        for key, value in attrs.items():
            if isinstance(value, str):  # the common case, without an AnyValue copy
                span.attributes.add(key=key).value.string_value = value
            else:
                span.attributes.add(key=key).value.CopyFrom(to_any_value(value))
        if error:
            span.status.code = Status.STATUS_CODE_ERROR
            span.status.message = error
        self.spans.append(ReceivedSpan(_resource(service), _scope(service), span))
        return span

    def server(self, service, method, route, parent=None, share=(0.02, 0.98), error=None,
               **extra):  # fmt: skip
        attrs = {"http.request.method": method, "http.route": route, "url.path": route,
                 "http.response.status_code": 500 if error else 200,
                 "server.address": f"{service}.shop.internal", **extra}  # fmt: skip
        return self.span(service, f"{method} {route}", Span.SPAN_KIND_SERVER, attrs, parent,
                         share, error)  # fmt: skip

    def db(self, service, table, parent, share, statement=None):
        attrs = {"db.system.name": "postgresql", "db.collection.name": table,
                 "db.operation.name": "SELECT",
                 "db.query.text": statement or f"SELECT id, sku, name, price, stock, "
                 f"updated_at FROM {table} WHERE tenant_id = $1 AND id = ANY($2)"}  # fmt: skip
        return self.span(service, f"SELECT {table}", Span.SPAN_KIND_CLIENT, attrs, parent, share)

    def extras(self, service, parent):
        """Month 6: the teams added cache and feature-flag spans everywhere."""
        if self.growth > 1:
            self.span(service, "GET flags", Span.SPAN_KIND_CLIENT,
                      {"feature_flag.provider.name": "flagd", "feature_flag.key": "new-ui"},
                      parent, (0.02, 0.04))  # fmt: skip
            for n, op in enumerate(("GET", "SET")):
                self.span(service, f"cache {op}", Span.SPAN_KIND_CLIENT,
                          {"db.system.name": "redis", "db.operation.name": op},
                          parent, (0.05 + 0.4 * n, 0.08 + 0.4 * n))  # fmt: skip


def _email(draw) -> str:
    return f"{draw.choice(['ana', 'li', 'sam', 'joe'])}.{draw.randrange(10**6)}@example.com"


def _browse(b: _Builder, failed: bool) -> None:
    d = b.draw
    token = f"Bearer eyJhbGciOiJIUzI1NiJ9.{d.getrandbits(64):x}.{d.getrandbits(64):x}"
    b.secrets.append(token)
    root = b.server("api-gateway", "GET", "/products/{id}", share=(0, 1),
                    **{"http.request.header.authorization": [token]})  # fmt: skip
    bff = b.server("storefront-bff", "GET", "/products/{id}", root)
    b.extras("storefront-bff", bff)
    cat = b.server("catalog", "GET", "/catalog/{id}", bff, (0.05, 0.5))
    b.db("catalog", "products", cat, (0.1, 0.8))
    b.server("pricing", "GET", "/prices/{id}", bff, (0.5, 0.7))
    b.server("recommendations", "GET", "/recommend", bff, (0.7, 0.95),
             error="model server unavailable" if failed else None)  # fmt: skip
    if failed:
        bff.status.code = root.status.code = Status.STATUS_CODE_ERROR


def _search(b: _Builder, failed: bool) -> None:
    d = b.draw
    secret = f"{d.getrandbits(48):012x}"
    b.secrets.append(f"token={secret}")
    root = b.server("api-gateway", "GET", "/search", share=(0, 1),
                    **{"url.query": f"q=shoes&page=2&token={secret}"})  # fmt: skip
    s = b.server("search", "GET", "/search", root, error="index shard timeout" if failed else None)
    b.extras("search", s)
    b.db("search", "search_index", s, (0.05, 0.6))
    b.server("catalog", "POST", "/catalog/batch", s, (0.6, 0.9))
    if failed:
        root.status.code = Status.STATUS_CODE_ERROR


def _checkout(b: _Builder, failed: bool) -> None:
    d = b.draw
    email = _email(d)
    card = _luhn("4" + "".join(str(d.randrange(10)) for _ in range(14)))
    spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    b.secrets += [email, card, spaced]
    root = b.server("api-gateway", "POST", "/api/checkout", share=(0, 1), **{"enduser.id": email})
    bff = b.server("storefront-bff", "POST", "/checkout", root)
    co = b.server("checkout", "POST", "/checkout", bff, (0.03, 0.97))
    b.extras("checkout", co)
    cart = b.server("cart", "GET", "/carts/{id}", co, (0.04, 0.12))
    b.db("cart", "carts", cart, (0.1, 0.9))
    b.server("pricing", "POST", "/quote", co, (0.12, 0.2))
    inv = b.server("inventory", "POST", "/reserve", co, (0.2, 0.35))
    for n in range(3):
        b.db("inventory", "stock", inv, (0.1 + 0.25 * n, 0.3 + 0.25 * n))
    fraud = b.server("fraud", "POST", "/score", co, (0.35, 0.45))
    b.extras("fraud", fraud)
    pay = b.server("payment", "POST", "/charge", co, (0.45, 0.85),
                   error=f"card {spaced} declined by provider" if failed else None,
                   **{"payment.card.number": card})  # a bug in one service: PCI data  # fmt: skip
    b.extras("payment", pay)
    b.server("card-vault", "POST", "/tokenize", pay, (0.05, 0.3))
    psp = b.span("payment", "POST", Span.SPAN_KIND_CLIENT,
                 {"http.request.method": "POST", "server.address": "api.psp.example",
                  "url.full": "https://api.psp.example/v1/charges"}, pay, (0.3, 0.95),
                 error="HTTP 402" if failed else None)  # fmt: skip
    if failed:
        event = psp.events.add(name="exception", time_unix_nano=psp.end_time_unix_nano)
        event.attributes.add(
            key="exception.message"
        ).value.string_value = f"PaymentDeclined: card={card} email={email}"
        for span in (co, bff, root):
            span.status.code = Status.STATUS_CODE_ERROR
    orders = b.server("orders", "POST", "/orders", co, (0.86, 0.94))
    b.db("orders", "orders", orders, (0.1, 0.9),
         statement=f"INSERT INTO orders (email, total) VALUES ('{email}', 129.90)")  # fmt: skip
    b.span("notification", "order.confirmed publish", Span.SPAN_KIND_PRODUCER,
           {"messaging.system": "kafka", "messaging.destination.name": "orders"}, co,
           (0.94, 0.96))  # fmt: skip


BUILD = {"browse": _browse, "search": _search, "checkout": _checkout}
#: Ordinary latency by kind, ms (uniform); slow ones go from just over the SLO to the timeout.
ORDINARY_MS = {"browse": (40, 400), "search": (60, 500), "checkout": (150, 780)}


def _duration(draw: random.Random, kind: str, stratum: str, brief: Brief) -> float:
    if stratum == "slow":
        longest = brief.timeout_s * 1000 - brief.slo_ms
        return brief.slo_ms + min(draw.expovariate(1 / 600), longest) + 1
    if stratum == "failed" and draw.random() < 0.3:  # some failures are timeouts
        return brief.slo_ms + draw.uniform(1, brief.timeout_s * 1000 - brief.slo_ms)
    return draw.uniform(*ORDINARY_MS[kind])


@functools.lru_cache(maxsize=4)
def sample(brief: Brief, seed: int = 2026) -> tuple[Trace, ...]:
    """The scaled-down month: SAMPLE traces per stratum of each kind, seeded."""
    draw = random.Random(seed)
    traces = []
    clock = 1_800_000_000 * 10**9
    for kind in brief.kinds:
        ordinary = 1 - kind.failed - kind.slow
        shares = (ordinary, kind.failed, kind.slow)
        for stratum, size, share in zip(STRATA, SAMPLE, shares, strict=True):
            weight = brief.requests_per_month * kind.share * share / size
            for _ in range(size):
                clock += draw.randrange(1, 5 * MS)
                ms = _duration(draw, kind.name, stratum, brief)
                b = _Builder(draw, clock, ms, brief.span_growth)
                BUILD[kind.name](b, stratum == "failed")
                traces.append(Trace(kind.name, stratum, weight, tuple(b.spans), ms,
                                    tuple(b.secrets)))  # fmt: skip
    return tuple(traces)
