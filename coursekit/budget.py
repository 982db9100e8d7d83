"""What tracing costs, at each sampling rate.

- The budget arithmetic, as plain functions of a ``Workload``: requests per second, spans
  per request, bytes per span and a price per GB give, at a sampling rate, spans per
  second, network and storage per day, and cost per month.
- ``cost_figure`` (cost against sampling rate) and ``calculator``: sliders in Jupyter, and
  in the book (no kernel) the figure and a table of the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import plotly.graph_objects as go

from .plotly_offline import OfflineRenderer, use_offline_renderer
from .tables import Table
from .widget_bundle import with_widget

use_offline_renderer()  # figures made here show with no network (see plotly_offline)

SECONDS_PER_DAY = 86_400
DAYS_PER_MONTH = 30
GB = 1e9
#: Sampling rates for the table and the markers on the curve.
RATES = (1.0, 0.1, 0.01, 0.001)


@dataclass(frozen=True)
class Workload:
    """The traffic to size. The defaults: the seed's 100K requests per second, the shop's
    9 spans per "Buy Now", about 500 bytes per span over OTLP, and an assumed $0.30 per GB
    ingested and kept (put your backend's price here)."""

    requests_per_second: float = 100_000
    spans_per_request: float = 9
    bytes_per_span: float = 500
    price_per_gb: float = 0.30

    def replace(self, **changes) -> Workload:
        return replace(self, **changes)


def spans_per_second(workload: Workload, rate: float = 1.0) -> float:
    """Spans per second kept when a share ``rate`` (0 to 1) of the traces is kept."""
    return workload.requests_per_second * workload.spans_per_request * rate


def gb_per_day(workload: Workload, rate: float = 1.0) -> float:
    """Gigabytes per day of those spans: on the network, or into storage."""
    return spans_per_second(workload, rate) * workload.bytes_per_span * SECONDS_PER_DAY / GB


def cost_per_month(workload: Workload, rate: float = 1.0) -> float:
    """What storing a share ``rate`` of the traces costs per month, at the price per GB."""
    return gb_per_day(workload, rate) * DAYS_PER_MONTH * workload.price_per_gb


@dataclass(frozen=True)
class Estimate:
    """Network (what the SDKs send) and storage (what the backend keeps) for one setup."""

    sent: float  # share of the traces the SDKs export
    stored: float  # share of the traces the backend keeps
    spans_per_second: float  # sent
    network_gb_per_day: float
    stored_gb_per_day: float
    cost_per_month: float


def estimate(workload: Workload, sent: float = 1.0, stored: float | None = None) -> Estimate:
    """Head sampling sets ``sent``; tail sampling keeps ``stored`` of it (default: all)."""
    stored = sent if stored is None else stored
    return Estimate(
        sent=sent,
        stored=stored,
        spans_per_second=spans_per_second(workload, sent),
        network_gb_per_day=gb_per_day(workload, sent),
        stored_gb_per_day=gb_per_day(workload, stored),
        cost_per_month=cost_per_month(workload, stored),
    )


def percent(rate: float) -> str:
    """0.001 -> "0.1%", 1.0 -> "100%"."""
    return f"{rate * 100:.{max(0, -math.floor(math.log10(rate * 100)))}f}%" if rate else "0%"


def _size(gigabytes: float) -> str:
    for unit, factor in (("TB", 1e3), ("GB", 1.0)):
        if gigabytes >= factor:
            return f"{gigabytes / factor:,.1f} {unit}"
    return f"{gigabytes * 1e3:,.0f} MB"


def estimate_table(workload: Workload, rates: Sequence[float] = RATES) -> Table:
    """One row per sampling rate: spans per second, GB per day, cost per month."""
    rows = []
    for rate in rates:
        e = estimate(workload, rate)
        rows.append([percent(rate), f"{e.spans_per_second:,.0f}", _size(e.network_gb_per_day),
                     f"${e.cost_per_month:,.0f}"])  # fmt: skip
    return Table(["sampling rate", "spans per second", "network and storage per day",
                  "cost per month"], rows)  # fmt: skip


def cost_figure(workload: Workload, rates: Sequence[float] = RATES) -> go.Figure:
    """Cost per month against the sampling rate (log axes), the table's rates marked."""
    curve = [10 ** (k / 20) for k in range(-80, 1)]  # 0.01% to 100%
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        name="cost per month", mode="lines", x=[r * 100 for r in curve],
        y=[cost_per_month(workload, r) for r in curve], line={"color": "#4C78A8"},
        hovertemplate="%{x:.2g}% kept: $%{y:,.0f} per month<extra></extra>",
    ))  # fmt: skip
    fig.add_trace(go.Scatter(
        name="the table's rates", mode="markers+text", x=[r * 100 for r in rates],
        y=[cost_per_month(workload, r) for r in rates], marker={"size": 9, "color": "#F58518"},
        text=[f"${cost_per_month(workload, r):,.0f}" for r in rates],
        textposition="top left", hoverinfo="skip",
    ))  # fmt: skip
    fig.update_layout(
        title=(
            f"{workload.requests_per_second:,.0f} requests/s × "
            f"{workload.spans_per_request:g} spans × {workload.bytes_per_span:g} bytes, "
            f"at ${workload.price_per_gb:.2f} per GB"
        ),  # fmt: skip
        xaxis={"title": "share of traces kept (%)", "type": "log"},
        yaxis={"title": "cost per month ($)", "type": "log"},
        showlegend=False,
        template="plotly_white",
        height=380,
        margin={"t": 50, "b": 50},
    )
    return fig


class Calculator:
    """Sliders for the workload and the sampling rate (Jupyter); the figure and the table
    at the given workload where there is no kernel (the book, the slides)."""

    def __init__(self, workload: Workload, rate: float = 0.01) -> None:
        self.workload, self.rate = workload, rate

    def summary_html(self, workload: Workload, rate: float) -> str:
        e = estimate(workload, rate)
        return (
            f"<p>At <b>{percent(rate)}</b> kept: <b>{e.spans_per_second:,.0f}</b> spans per "
            f"second, <b>{_size(e.network_gb_per_day)}</b> per day on the network and into "
            f"storage, <b>${e.cost_per_month:,.0f}</b> per month.</p>"
        )

    def static_html(self) -> str:
        figure = OfflineRenderer().to_mimebundle(cost_figure(self.workload).to_dict())
        return (
            "<div class='coursekit-budget'>"
            + figure["text/html"]
            + estimate_table(self.workload)._repr_html_()
            + "<p><i>In Jupyter, sliders change the workload and the rate.</i></p></div>"
        )

    def widget(self):
        import ipywidgets as widgets

        w = self.workload
        style = {"description_width": "14em"}
        layout = {"width": "40em"}
        sliders = {
            "requests_per_second": widgets.FloatLogSlider(
                value=w.requests_per_second, base=10, min=2, max=7, step=0.1,
                description="requests per second", readout_format=",.0f",
                style=style, layout=layout),
            "spans_per_request": widgets.IntSlider(
                value=int(w.spans_per_request), min=1, max=200,
                description="spans per request", style=style, layout=layout),
            "bytes_per_span": widgets.IntSlider(
                value=int(w.bytes_per_span), min=100, max=4000, step=50,
                description="bytes per span", style=style, layout=layout),
            "price_per_gb": widgets.FloatSlider(
                value=w.price_per_gb, min=0.01, max=3.0, step=0.01,
                description="price per GB ($)", style=style, layout=layout),
        }  # fmt: skip
        rate = widgets.FloatLogSlider(
            value=self.rate * 100, base=10, min=-2, max=2, step=0.1,
            description="share of traces kept (%)", readout_format=".2g",
            style=style, layout=layout,
        )  # fmt: skip
        out = widgets.HTML()

        def update(_=None):
            workload = Workload(**{name: s.value for name, s in sliders.items()})
            out.value = (self.summary_html(workload, rate.value / 100)
                         + estimate_table(workload)._repr_html_())  # fmt: skip

        for slider in [*sliders.values(), rate]:
            slider.observe(update, names="value")
        update()
        return widgets.VBox([*sliders.values(), rate, out])

    def _repr_mimebundle_(self, include=None, exclude=None):
        text = str(estimate_table(self.workload))
        return with_widget({"text/plain": text, "text/html": self.static_html()}, self.widget)


def calculator(workload: Workload | None = None, rate: float = 0.01) -> Calculator:
    """The budget calculator, starting from ``workload`` (default: the seed's 100K req/s)."""
    return Calculator(workload or Workload(), rate)
