"""What a request's spans cost: exercise 06's lab (``services/labs/account_page.py``) run
with a decision per step, its traces, and its tracing overhead measured.

The overhead is measured on the handler itself, in this process, without HTTP: variants
take turns in rounds (tracing off, then each set of decisions), and each round times the
same requests. Tracing costs CPU on the request's thread, while the page mostly waits (its
queries and calls are sleeps), so the overhead is the extra **CPU time per request**
(``time.thread_time``), against the **elapsed time** of the untraced request: that is how
much longer a request takes when the machine is not otherwise busy. CPU time counts only
this thread's own work, so a busy machine (another test, a build) moves it far less than
it moves elapsed times.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler

from services.labs.account_page import AccountPage
from services.labs.steps import Steps


def provider(sampler: Sampler | None = None) -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    resource = Resource.create({"service.name": "account-page"})
    tracer_provider = TracerProvider(resource=resource, sampler=sampler)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider, exporter


def run(
    decisions: Mapping[str, str] | None,
    requests: range,
    *,
    lab: AccountPage | None = None,
    sampler: Sampler | None = None,
    context=None,
) -> list[ReadableSpan]:
    """Serve ``requests`` (their numbers) with ``decisions``; the spans they made."""
    lab = lab or AccountPage()
    tracer_provider, exporter = provider(sampler)
    try:
        steps = Steps(tracer_provider.get_tracer("account-page"), decisions)
        for number in requests:
            if context is not None:
                from opentelemetry import context as otel_context

                token = otel_context.attach(context)
                try:
                    lab.handle(steps, number)
                finally:
                    otel_context.detach(token)
            else:
                lab.handle(steps, number)
        return list(exporter.get_finished_spans())
    finally:
        tracer_provider.shutdown()


@dataclass
class Variant:
    label: str
    decisions: Mapping[str, str] | None
    tracing: bool = True
    cpu_ms: list[float] = field(default_factory=list)  #: per round, per request
    wall_ms: list[float] = field(default_factory=list)
    spans: list[int] = field(default_factory=list)  #: exported, per round

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_ms)


@dataclass
class Overheads:
    variants: list[Variant]
    requests: int  #: per round and variant
    rounds: int

    @property
    def off(self) -> Variant:
        return self.variants[0]

    def spans_per_request(self, label: str) -> float:
        """Spans exported per request over every round (a request that made fewer in one
        round than in another shows as a fraction)."""
        variant = next(v for v in self.variants if v.label == label)
        return sum(variant.spans) / (self.requests * len(variant.spans))

    def overhead(self, label: str) -> float:
        """Extra CPU per request over tracing off, as a share of the untraced request time."""
        variant = next(v for v in self.variants if v.label == label)
        extra = statistics.median(
            a - b for a, b in zip(variant.cpu_ms, self.off.cpu_ms, strict=True)
        )
        return max(0.0, extra) / self.off.wall

    def table(self):
        from .tables import Table

        rows = [
            [
                v.label,
                f"{v.wall:.2f}",
                f"{v.cpu:.3f}",
                "—" if v is self.off else f"{self.overhead(v.label):+.0%}",
            ]
            for v in self.variants
        ]
        return Table(["variant", "elapsed ms per request", "CPU ms per request", "overhead"], rows)


def measure(
    variants: Mapping[str, Mapping[str, str] | None],
    *,
    rounds: int = 5,
    requests: int = 20,
    lab: AccountPage | None = None,
    samplers: Mapping[str, Sampler] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Overheads:
    """Tracing off, then each of ``variants`` (label -> decisions), in ``rounds`` rounds of
    ``requests`` requests each (no incident among them: the steady state). ``samplers``:
    label -> the sampler of that variant (default: the SDK's)."""
    lab = dataclasses.replace(lab or AccountPage(), slow_query_every=0, failing_call_every=0)
    measured = [Variant("tracing off", None, tracing=False)]
    measured += [Variant(label, decisions) for label, decisions in variants.items()]
    providers = []
    runners = []
    for variant in measured:
        if variant.tracing:
            tracer_provider, exporter = provider((samplers or {}).get(variant.label))
            providers.append(tracer_provider)
            steps = Steps(tracer_provider.get_tracer("account-page"), variant.decisions)
        else:
            exporter, steps = None, Steps(None)
        runners.append((variant, steps, exporter))
    try:
        for _variant, steps, exporter in runners:  # warm-up
            for number in range(1, 4):
                lab.handle(steps, number)
            if exporter is not None:
                exporter.clear()
        for done in range(rounds):
            for variant, steps, exporter in runners:
                cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
                for number in range(1, requests + 1):
                    lab.handle(steps, number)
                variant.wall_ms.append((time.perf_counter_ns() - wall) / requests / 1e6)
                variant.cpu_ms.append((time.thread_time_ns() - cpu) / requests / 1e6)
                if exporter is not None:
                    variant.spans.append(len(exporter.get_finished_spans()))
                    exporter.clear()
            if progress is not None:
                progress(done + 1)
        return Overheads(measured, requests, rounds)
    finally:
        for tracer_provider in providers:
            tracer_provider.shutdown()


def per_span_cost(*, rounds: int = 8, spans: int = 400, seed: int = 0) -> list[dict]:
    """A short run of ``scripts/bench_overhead.py`` in this process: its rows (microseconds
    per span, median of the rounds, and the 5th-95th percentile), as the script prints them."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "bench_overhead.py"
    spec = importlib.util.spec_from_file_location("bench_overhead", path)
    bench = sys.modules.get("bench_overhead")
    if bench is None:  # dataclasses look the module up in sys.modules as they build
        bench = importlib.util.module_from_spec(spec)
        sys.modules["bench_overhead"] = bench
        spec.loader.exec_module(bench)
    measured = bench.measure(rounds, spans, seconds=60.0, seed=seed, progress=False)
    return [bench.summary(variant, spans) for variant in measured]


def bench_table(rows: list[dict]):
    from .tables import Table

    return Table(
        ["set-up", "µs per span (median)", "p5 – p95", "CPU µs per span"],
        [[r["label"], f"{r['median_us']:.1f}", f"{r['p5_us']:.1f} – {r['p95_us']:.1f}",
          f"{r['cpu_median_us']:.1f}"] for r in rows],
    )  # fmt: skip
