"""The trace waterfall: one bar per span on a time axis, nested by parent."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from .colors import ERROR_COLOR, service_color
from .spans import depth_first, one_trace


def _hover(record, offset_ms: float) -> str:
    lines = [
        f"<b>{html.escape(record.name)}</b> ({record.service}, {record.kind})",
        f"start {offset_ms:.1f} ms, duration {record.duration_ms:.1f} ms",
        f"status {record.status}" + (f": {record.status_message}" if record.status_message else ""),
    ]
    lines += [f"{k} = {html.escape(str(v))}" for k, v in sorted(record.attributes.items())]
    if record.exception:
        lines.append(f"exception: {html.escape(record.exception)}")
    return "<br>".join(lines)


def waterfall(spans, trace_id: str | None = None, *, title: str | None = None) -> go.Figure:
    """A plotly waterfall of one trace: colour = service, red outline and ✖ = error span."""
    ordered = depth_first(one_trace(spans, trace_id))
    t0 = min(r.start_ns for _, r in ordered)
    fig = go.Figure()
    for service in dict.fromkeys(r.service for _, r in ordered):  # first-seen order
        rows = [(i, d, r) for i, (d, r) in enumerate(ordered) if r.service == service]
        fig.add_trace(
            go.Bar(
                name=service,
                orientation="h",
                y=[i for i, _, _ in rows],
                x=[max(r.duration_ms, 0.05) for _, _, r in rows],
                base=[(r.start_ns - t0) / 1e6 for _, _, r in rows],
                marker={
                    "color": service_color(service),
                    "line": {
                        "color": [ERROR_COLOR if r.is_error else "rgba(0,0,0,0)" for *_, r in rows],
                        "width": 3,
                    },
                },
                text=["✖ error" if r.is_error else "" for *_, r in rows],
                textposition="inside",
                insidetextanchor="start",
                hovertext=[_hover(r, (r.start_ns - t0) / 1e6) for *_, r in rows],
                hoverinfo="text",
            )
        )
    labels = ["\u00a0\u00a0" * depth + f"{r.service}: {r.name}" for depth, r in ordered]
    trace_id = ordered[0][1].trace_id
    fig.update_layout(
        title=title or f"Trace {trace_id[:8]}…: {len(ordered)} spans",
        barmode="overlay",
        xaxis_title="milliseconds since the trace started",
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(ordered))),
            "ticktext": labels,
            "autorange": "reversed",
        },
        height=120 + 28 * len(ordered),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        legend_title_text="service",
        template="plotly_white",
    )
    return fig
