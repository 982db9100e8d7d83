"""Latency under a fixed load, for several variants of one service, and its chart.

Variants are measured in interleaved rounds (A B C, A B C, ...) rather than one after the
other: a background job or a CPU-frequency change on a noisy laptop then hits every variant
alike instead of spoiling one. Report medians and a spread, never one number.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import plotly.graph_objects as go
import requests

from .plotly_offline import use_offline_renderer
from .tables import Table

use_offline_renderer()  # figures made here show with no network (see plotly_offline)


def measure_latency(
    urls: Mapping[str, str], *, rounds: int = 5, per_round: int = 20, warmup: int = 10
) -> dict[str, list[float]]:
    """GET each URL ``rounds * per_round`` times, round by round; latencies in milliseconds."""
    sessions = {label: requests.Session() for label in urls}  # keep-alive, as a real client
    try:
        for label, url in urls.items():
            for _ in range(warmup):
                sessions[label].get(url, timeout=10).raise_for_status()
        latencies: dict[str, list[float]] = {label: [] for label in urls}
        for _ in range(rounds):
            for label, url in urls.items():
                for _ in range(per_round):
                    start = time.perf_counter()
                    sessions[label].get(url, timeout=10).raise_for_status()
                    latencies[label].append((time.perf_counter() - start) * 1000)
        return latencies
    finally:
        for session in sessions.values():
            session.close()


def _quantile(latencies: list[float], q: int) -> float:
    return statistics.quantiles(latencies, n=100, method="inclusive")[q - 1]


def latency_table(latencies: Mapping[str, list[float]], baseline: str) -> Table:
    """Median, p5-p95 spread, and the median's overhead over ``baseline``, per variant."""
    base = statistics.median(latencies[baseline])
    rows = []
    for label, values in latencies.items():
        median = statistics.median(values)
        rows.append(
            [
                label,
                f"{median:.2f}",
                f"{_quantile(values, 5):.2f} – {_quantile(values, 95):.2f}",
                "—" if label == baseline else f"{(median / base - 1) * 100:+.0f}%",
            ]
        )
    return Table(["variant", "median ms", "p5 – p95 ms", f"vs {baseline}"], rows)


def latency_chart(latencies: Mapping[str, list[float]], *, title: str) -> go.Figure:
    """One box per variant: the box is the middle half of the requests, the line the median."""
    fig = go.Figure()
    for label, values in latencies.items():
        fig.add_trace(go.Box(x=values, name=label, boxpoints=False, orientation="h"))
    # A few slow requests (a batch export, a GC pause) would squash every box: the axis
    # stops a little past the slowest variant's p95.
    right = 1.3 * max(_quantile(values, 95) for values in latencies.values())
    fig.update_layout(
        title=title,
        xaxis={
            "title": "latency per request (ms); axis cut a little past the p95",
            "range": [0, right],
        },
        showlegend=False,
        height=90 + 45 * len(latencies),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        yaxis={"autorange": "reversed"},
    )
    return fig


@dataclass(frozen=True)
class Standout:
    """How far switching one thing off moves the median, against the noise."""

    gain_ms: float  #: median of the variants that keep it, minus the variant without it
    noise_ms: float  #: highest minus lowest median among the variants that keep it

    @property
    def ratio(self) -> float:
        return self.gain_ms / self.noise_ms if self.noise_ms > 0 else float("inf")


def standout(
    latencies: Mapping[str, list[float]], *, without: str, keeping: Iterable[str]
) -> Standout:
    """Compare the variant ``without`` the suspect to the variants ``keeping`` it.

    The variants that keep it differ only by things that cost little, so the spread of
    their medians is this run's noise; the suspect stands out when its gain dwarfs it.
    """
    medians = [statistics.median(latencies[label]) for label in keeping]
    gain = statistics.median(medians) - statistics.median(latencies[without])
    return Standout(gain, max(medians) - min(medians))
