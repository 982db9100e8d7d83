"""Latency percentiles under a fixed load: lesson 06's measuring kit.

- ``load(urls, rounds, per_round)``: the same requests to each variant, interleaved round by
  round (A B C, A B C, ...), one at a time (a fixed load: one request in flight), so that a
  change in the machine's load falls on every variant alike; a line of progress per round;
- ``percentile`` and ``bootstrap``: p50/p95/p99 and how much p99 could move with other
  requests of the same kind (a bootstrap: resample the requests with replacement, seeded);
- ``percentile_table`` and ``percentile_chart``: per variant;
- ``TimedExporter``: wraps an exporter and notes, for each export, how long it took and on
  which thread it ran (the request's, or the Batch processor's worker).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import plotly.graph_objects as go
import requests
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from .plotly_offline import use_offline_renderer
from .tables import Table

use_offline_renderer()  # figures made here show with no network (see plotly_offline)

QUANTILES = (50, 95, 99)


def load(
    urls: Mapping[str, str],
    *,
    rounds: int = 5,
    per_round: int = 10,
    warmup: int = 3,
    path: str = "/checkout",
    progress: bool = True,
) -> dict[str, list[float]]:
    """POST ``path`` to each variant's URL ``rounds * per_round`` times, interleaved in rounds;
    the latencies in milliseconds, per variant label."""
    sessions = {label: requests.Session() for label in urls}  # keep-alive, as a real client
    latencies: dict[str, list[float]] = {label: [] for label in urls}
    try:
        for label, url in urls.items():
            for _ in range(warmup):
                sessions[label].post(url + path, json={}, timeout=30)
        for done in range(1, rounds + 1):
            for label, url in urls.items():
                for _ in range(per_round):
                    start = time.perf_counter()
                    sessions[label].post(url + path, json={}, timeout=30)
                    latencies[label].append((time.perf_counter() - start) * 1000)
            if progress:
                print(f"round {done}/{rounds} done", end="\n" if done == rounds else ", ")
        return latencies
    finally:
        for session in sessions.values():
            session.close()


def percentile(values, q: float) -> float:
    """The q-th percentile, nearest rank: the smallest value with q% of them at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least 1
    return ordered[int(rank) - 1]


def bootstrap(
    values, q: float = 99, *, resamples: int = 1000, seed: int = 6, level: float = 0.9
) -> tuple[float, float]:
    """A ``level`` interval for the q-th percentile: the middle of the percentiles of
    ``resamples`` resamples (with replacement) of the values. Seeded: the same every run."""
    draw = random.Random(seed)
    values = list(values)
    estimates = sorted(percentile(draw.choices(values, k=len(values)), q) for _ in range(resamples))
    cut = int(resamples * (1 - level) / 2)
    return estimates[cut], estimates[-cut - 1]


@dataclass(frozen=True)
class Summary:
    label: str
    count: int
    p50: float
    p95: float
    p99: float
    p99_interval: tuple[float, float]


def summarize(latencies: Mapping[str, list[float]]) -> list[Summary]:
    return [
        Summary(label, len(values), *(percentile(values, q) for q in QUANTILES), bootstrap(values))
        for label, values in latencies.items()
    ]


def percentile_table(latencies: Mapping[str, list[float]], baseline: str | None = None) -> Table:
    """p50, p95, p99 (with its bootstrap interval) per variant, and p99 against ``baseline``."""
    summaries = summarize(latencies)
    base = next((s for s in summaries if s.label == baseline), None)
    rows = []
    for s in summaries:
        low, high = s.p99_interval
        change = "—" if base is None or s is base else f"{s.p99 / base.p99 - 1:+.0%}"
        rows.append(
            [
                s.label,
                s.count,
                f"{s.p50:.1f}",
                f"{s.p95:.1f}",
                f"{s.p99:.1f}",
                f"{low:.1f} – {high:.1f}",
                change,
            ]
        )
    header = ["variant", "requests", "p50 ms", "p95 ms", "p99 ms", "p99: 90% interval"]
    return Table([*header, f"p99 vs {baseline}" if baseline else ""], rows)


def percentile_chart(latencies: Mapping[str, list[float]], *, title: str) -> go.Figure:
    """p50, p95 and p99 per variant, side by side; p99's bar carries its bootstrap interval."""
    summaries = summarize(latencies)
    labels = [s.label for s in summaries]
    fig = go.Figure()
    for q, color in zip(QUANTILES, ("#4C78A8", "#F58518", "#E45756"), strict=True):
        values = [getattr(s, f"p{q}") for s in summaries]
        error = None
        if q == 99:
            error = {
                "type": "data",
                "symmetric": False,
                "color": "#333",
                "array": [s.p99_interval[1] - s.p99 for s in summaries],
                "arrayminus": [s.p99 - s.p99_interval[0] for s in summaries],
            }
        fig.add_trace(
            go.Bar(
                name=f"p{q}",
                x=labels,
                y=values,
                marker_color=color,
                error_y=error,
                hovertemplate="%{x}: %{y:.1f} ms<extra>p" + str(q) + "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="group",
        template="plotly_white",
        height=400,
        yaxis={"title": "latency (ms); p99 with its 90% interval"},
        margin={"t": 60, "b": 40},
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


@dataclass
class ExportCall:
    thread: str
    spans: int
    ms: float


@dataclass
class TimedExporter(SpanExporter):
    """Wraps an exporter; notes each export's thread, size and time."""

    inner: SpanExporter
    calls: list[ExportCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def export(self, spans) -> SpanExportResult:
        start = time.perf_counter()
        try:
            return self.inner.export(spans)
        finally:
            call = ExportCall(
                threading.current_thread().name, len(spans), (time.perf_counter() - start) * 1000
            )
            with self._lock:
                self.calls.append(call)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def thread_kind(name: str) -> str:
    """Whose thread an export ran on: the Batch processor's worker, or a request's."""
    return "the Batch worker" if name.startswith("OtelBatch") else "a request thread"


def export_summary(calls: list[ExportCall]) -> Table:
    """Exports per kind of thread: how many, spans, total and median milliseconds."""
    kinds = by_thread(calls)
    rows = [
        [
            kind,
            len(c),
            sum(x.spans for x in c),
            f"{sum(x.ms for x in c):.0f}",
            f"{statistics.median(x.ms for x in c):.1f}",
        ]
        for kind, c in kinds.items()
    ]
    return Table(["exported on", "exports", "spans", "total ms", "median ms"], rows)


def timed(processor_factory, calls: list, **options):
    """A ``processor_factory`` for ``services.exporting_to``: the SDK's processor (Simple or
    Batch, with ``options``) in front of a ``TimedExporter`` that notes into ``calls``."""

    def factory(exporter):
        return processor_factory(TimedExporter(exporter, calls), **options)

    return factory


def wait_for(condition, timeout: float = 10.0) -> bool:
    """Poll ``condition()`` until it is true (or ``timeout`` seconds): background exports."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def by_thread(calls: list[ExportCall]) -> dict[str, list[ExportCall]]:
    """The exports grouped by the kind of thread they ran on (see ``thread_kind``)."""
    kinds: dict[str, list[ExportCall]] = {}
    for call in calls:
        kinds.setdefault(thread_kind(call.thread), []).append(call)
    return kinds
