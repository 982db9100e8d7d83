"""What a sampled run of the shop kept: traces, error traces, complete traces, spans.

``run_shop`` sends the same traffic through a shop under one sampling setup and
``summarize`` turns its spans into a ``Run``; ``tail_sample`` sends spans through the
local receiver's tail sampler; ``comparison_chart`` and ``runs_table`` put several runs
side by side (lesson 05). ``kept_per_click`` is lesson 02's check of what sampling kept of
each click.
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go
import requests
from plotly.subplots import make_subplots

from .plotly_offline import use_offline_renderer
from .spans import by_trace, records
from .tables import Table

use_offline_renderer()  # figures made here show with no network (see plotly_offline)


@dataclass(frozen=True)
class Run:
    """What one run of the shop kept under one sampling setup."""

    name: str
    checkouts: int  # requests sent
    failed: int  # of which failed (their traces carry an error)
    seconds: float
    traces: int  # traces with at least one span kept
    error_traces: int  # of those, traces with an error span
    complete_traces: int  # of those, traces with one root and no missing parent
    spans: int  # spans kept
    sent_spans: int  # spans the SDKs exported (more than `spans` after tail sampling)
    raw_spans: tuple = field(default=(), repr=False)

    @property
    def spans_per_second(self) -> float:
        return self.sent_spans / self.seconds if self.seconds else 0.0

    @property
    def broken_traces(self) -> int:
        return self.traces - self.complete_traces


def is_complete(trace) -> bool:
    """One root and no span whose parent is missing (records of one trace)."""
    ids = {r.span_id for r in trace}
    roots = [r for r in trace if r.parent_id is None]
    return len(roots) == 1 and all(r.parent_id in ids for r in trace if r.parent_id)


def summarize(
    name: str, spans, *, checkouts: int, failed: int, seconds: float, sent_spans: int | None = None
) -> Run:
    """A ``Run`` from the spans kept (SDK spans, received spans or records)."""
    traces = list(by_trace(spans).values())
    kept = sum(len(t) for t in traces)
    return Run(
        name=name,
        checkouts=checkouts,
        failed=failed,
        seconds=seconds,
        traces=len(traces),
        error_traces=sum(any(r.is_error for r in t) for t in traces),
        complete_traces=sum(is_complete(t) for t in traces),
        spans=kept,
        sent_spans=kept if sent_spans is None else sent_spans,
        raw_spans=tuple(spans),
    )


def run_shop(name: str, sampler, config, checkouts: int) -> Run:
    """Send ``checkouts`` checkouts through a shop whose services sample with ``sampler``
    (one SDK sampler, a dict of service -> sampler, or None for the SDK's default)."""
    from services import Shop  # the shop only when a lesson runs it

    with Shop(config, sampler=sampler) as shop, requests.Session() as client:
        started = time.perf_counter()
        codes = [client.post(f"{shop.url()}/checkout", json={}, timeout=10).status_code
                 for _ in range(checkouts)]  # fmt: skip
        seconds = time.perf_counter() - started
        return summarize(name, shop.spans(), checkouts=checkouts, failed=codes.count(502),
                         seconds=seconds)  # fmt: skip


def tail_sample(spans, collector_file: str | Path):
    """Send SDK spans over OTLP to a local receiver that tail-samples with the policies of
    a Collector configuration file, and let it decide at once.

    Returns the tail sampler (its counts), what the receiver held before deciding (a
    sentence), and the records of the spans it stored.
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from services import Receiver, TailSampler

    sampler = TailSampler.from_collector_file(collector_file)
    with Receiver(tail_sampler=sampler) as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.endpoint)
        exporter.export(spans)
        exporter.shutdown()
        waiting = f"{len(receiver.spans())} spans stored, {sampler.pending_traces} traces held"
        receiver.decide_now()  # a Collector would wait out decision_wait first
        return sampler, waiting, records(receiver.spans())


def kept_per_click(config, sampler, clicks: int = 20) -> Counter:
    """Click ``clicks`` times on a shop sampling with ``sampler``; count, per click, whether
    its checkout span was kept and whether its payment span was: ``{(True, False): n}``.

    A click's spans are those that started while its request ran (one click at a time).
    """
    from services import Shop

    windows = []
    with Shop(config, sampler=sampler) as shop:
        for _ in range(clicks):
            started = time.time_ns()
            requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
            windows.append((started, time.time_ns()))
        spans = records(shop.spans())
    kept = Counter()
    for started, ended in windows:
        names = {span.name for span in spans if started <= span.start_ns <= ended}
        kept["POST /checkout" in names, "POST /charge" in names] += 1
    return kept


def stored_after(run: Run, stored_spans, name: str | None = None) -> Run:
    """What a backend stored of ``run``'s exported spans (after tail sampling, say)."""
    return summarize(name or run.name, stored_spans, checkouts=run.checkouts, failed=run.failed,
                     seconds=run.seconds, sent_spans=run.spans)  # fmt: skip


#: (title, value, label) per chart column.
SAMPLER_METRICS = (
    ("traces kept", lambda r: r.traces, lambda r: f"{r.traces} of {r.checkouts}"),
    ("error traces kept", lambda r: r.error_traces, lambda r: f"{r.error_traces} of {r.failed}"),
    ("spans per second exported", lambda r: r.spans_per_second,
     lambda r: f"{r.spans_per_second:,.0f}"),
)  # fmt: skip
LAYER_METRICS = (
    ("spans sent by the SDKs", lambda r: r.sent_spans, lambda r: f"{r.sent_spans:,}"),
    ("spans stored", lambda r: r.spans, lambda r: f"{r.spans:,}"),
    ("failing traces kept", lambda r: r.error_traces, lambda r: f"{r.error_traces} of {r.failed}"),
)


def comparison_chart(
    runs: Sequence[Run], metrics=SAMPLER_METRICS, *, title: str = "What each sampler kept"
) -> go.Figure:
    """One column per metric (by default: traces kept, error traces kept, spans per second
    exported), one bar per run."""
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[m[0] for m in metrics])
    colors = ["#4C78A8", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B"]
    for col, (_, value, label) in enumerate(metrics, 1):
        fig.add_trace(go.Bar(
            x=[html.escape(r.name) for r in runs], y=[value(r) for r in runs],
            text=[label(r) for r in runs], textposition="auto", showlegend=False,
            marker_color=colors[: len(runs)], hoverinfo="x+text",
        ), row=1, col=col)  # fmt: skip
    fig.update_layout(title=title, height=430, margin={"t": 80, "b": 130},
                      template="plotly_white")  # fmt: skip
    fig.update_xaxes(tickangle=-30)
    return fig


def runs_table(runs: Sequence[Run]) -> Table:
    """Spans sent, spans stored and failing traces kept, one row per run."""
    return Table(["setup", "spans sent by the SDKs", "spans stored", "failing traces kept"],
                 [[r.name, f"{r.sent_spans:,}", f"{r.spans:,}", f"{r.error_traces} of {r.failed}"]
                  for r in runs])  # fmt: skip
