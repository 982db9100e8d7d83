"""Lesson 07's machinery: run the shop with one anti-pattern planted, and measure its cost.

``run_shop(name, config)`` sends the same checkouts through a fresh in-process shop and
returns what it made; ``cost(run)`` counts spans and OTLP bytes per request, and the
time series a span-metrics pipeline would make of the span names; ``blocking_export``
times checkouts against a slow backend with the SDK's Simple and Batch processors.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from dataclasses import dataclass, field

import requests

#: The Collector's ``spanmetrics`` connector (collector-contrib, 0.1xx): by default one
#: series set per service.name, span.name, span.kind and status.code, each with a calls
#: counter and a duration histogram of 16 explicit bounds (2 ms ... 15 s). In Prometheus a
#: histogram is one series per bucket (17, with +Inf) plus _sum and _count.
HISTOGRAM_BOUNDS = 16
PROMETHEUS_SERIES_PER_SET = 1 + (HISTOGRAM_BOUNDS + 1) + 2


def _b64url(data: dict | bytes) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


#: What the lesson's customer sends: a session cookie, a bearer token (a JWT's shape,
#: signed by no one), an e-mail address and the shop's test card (in the default cart).
TOKEN = ".".join((_b64url({"alg": "HS256", "typ": "JWT"}),
                  _b64url({"sub": "c-1042", "email": "ada@example.com"}),
                  _b64url(b"not-a-real-signature-0123456789")))  # fmt: skip
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Cookie": "session=s3ss10n-7f2a9c41e8"}
BODY = {"email": "ada@example.com"}
#: The planted secrets, as they travel: what must be found nowhere once redacted.
SECRETS = {
    "card": "4111-1111-1111-1111",
    "token": TOKEN,
    "cookie": "s3ss10n-7f2a9c41e8",
    "e-mail": "ada@example.com",
}


@dataclass
class Run:
    name: str
    spans: tuple
    checkouts: int
    latencies_ms: list[float] = field(default_factory=list)
    providers: list = field(default_factory=list)

    @property
    def traces(self) -> int:
        return len({s.context.trace_id for s in self.spans})


def checkouts(url: str, count: int) -> list[float]:
    """``count`` checkouts, one at a time, as the lesson's customer; their times in ms."""
    times = []
    with requests.Session() as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = client.post(f"{url}/checkout", json=BODY, headers=HEADERS, timeout=30)
            times.append((time.perf_counter() - started) * 1000)
            if not answer.ok:
                raise RuntimeError(f"a checkout failed: {answer.status_code} {answer.text}")
    return times


def run_shop(name: str, config, count: int = 12, provider_factory=None) -> Run:
    """``count`` checkouts through a fresh shop with ``config``; its spans (in-memory
    exporter), or, with a ``provider_factory``, the providers it made (for the doctor)."""
    from services import Shop

    providers = []

    def remembered(service: str):
        providers.append(provider_factory(service))
        return providers[-1]

    with Shop(config, provider_factory=remembered if provider_factory else None) as shop:
        times = checkouts(shop.url(), count)
        return Run(name, tuple(shop.spans()), count, times, providers)


def otlp_bytes(spans) -> int:
    """The spans' size as one OTLP/protobuf export request (what goes over the wire)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    return len(encode_spans(list(spans)).SerializeToString()) if spans else 0


def series_sets(spans) -> int:
    """How many dimension sets a span-metrics pipeline would make of these spans."""
    return len({(s.resource.attributes.get("service.name"), s.name, s.kind, s.status.status_code)
                for s in spans})  # fmt: skip


@dataclass(frozen=True)
class Cost:
    name: str
    spans_per_request: float
    bytes_per_request: float
    traces_per_request: float
    span_names: int
    series_sets: int

    @property
    def prometheus_series(self) -> int:
        return self.series_sets * PROMETHEUS_SERIES_PER_SET


def cost(run: Run) -> Cost:
    n = run.checkouts
    return Cost(run.name, len(run.spans) / n, otlp_bytes(run.spans) / n, run.traces / n,
                len({s.name for s in run.spans}), series_sets(run.spans))  # fmt: skip


def cost_table(runs, show_bytes: bool = True) -> None:
    """Print each run's cost per checkout, one line each (bytes vary by a few with ports)."""
    head = f"{'':<28}{'spans':>7}{'traces':>8}{'names':>7}{'series':>8}"
    print(head + (f"{'bytes':>9}" if show_bytes else ""))
    for c in map(cost, runs):
        line = (f"{c.name:<28}{c.spans_per_request:>7.1f}{c.traces_per_request:>8.1f}"
                f"{c.span_names:>7}{c.prometheus_series:>8}")  # fmt: skip
        print(line + (f"{c.bytes_per_request:>9,.0f}" if show_bytes else ""))


def series_after(names_per_request: float, requests_per_day: int, sets_per_name: int = 1) -> int:
    """The span-metrics series a day of traffic makes when each request adds new names."""
    return int(names_per_request * requests_per_day) * sets_per_name * PROMETHEUS_SERIES_PER_SET


# --- blocking on export -------------------------------------------------------------------


@dataclass
class ExportTiming:
    delay_ms: float
    simple: Run
    batch: Run

    def median(self, which: str) -> float:
        return statistics.median(getattr(self, which).latencies_ms)

    @property
    def added_ms(self) -> float:
        return self.median("simple") - self.median("batch")


def blocking_export(config, delay_ms: float = 20, count: int = 8) -> ExportTiming:
    """The same checkouts, exporting over OTLP to a backend that takes ``delay_ms`` to
    answer, through the SDK's SimpleSpanProcessor and through its BatchSpanProcessor."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from services import Receiver, exporting_to

    with Receiver(answer_delay_ms=delay_ms) as receiver:
        runs = {}
        for name, factory in (("simple", SimpleSpanProcessor), ("batch", BatchSpanProcessor)):
            provider_factory = exporting_to(receiver.endpoint, processor_factory=factory)
            runs[name] = run_shop(name, config, count, provider_factory)
        return ExportTiming(delay_ms, runs["simple"], runs["batch"])
