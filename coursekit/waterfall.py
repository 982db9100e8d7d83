"""The trace waterfall: one bar per span on a time axis, nested by parent."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from .colors import ERROR_COLOR, service_color
from .plotly_offline import use_offline_renderer
from .spans import depth_first, one_trace

use_offline_renderer()  # figures made here show with no network (see plotly_offline)


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


def _label(depth: int, record, callee: str | None) -> str:
    arrow = f" → {callee}" if callee else ""
    return "\u00a0\u00a0" * depth + f"{record.service}: {record.name}{arrow}"


def waterfall(spans, trace_id: str | None = None, *, title: str | None = None) -> go.Figure:
    """A plotly waterfall of one trace: colour = service, ✖ = error span.

    A client span is labelled with the service it called ("POST → payment"), read from
    the server span under it.
    """
    ordered = depth_first(one_trace(spans, trace_id))
    t0 = min(r.start_ns for _, r in ordered)
    start_ms = {r.span_id: (r.start_ns - t0) / 1e6 for _, r in ordered}
    callee = {r.parent_id: r.service for _, r in ordered if r.kind == "server"}
    fig = go.Figure()
    for service in dict.fromkeys(r.service for _, r in ordered):  # first-seen order
        rows = [(i, r) for i, (_, r) in enumerate(ordered) if r.service == service]
        fig.add_trace(
            go.Bar(
                name=service,
                orientation="h",
                y=[i for i, _ in rows],
                x=[max(r.duration_ms, 0.05) for _, r in rows],
                base=[start_ms[r.span_id] for _, r in rows],
                marker_color=service_color(service),
                hovertext=[_hover(r, start_ms[r.span_id]) for _, r in rows],
                hoverinfo="text",
            )
        )
    errors = [(i, r) for i, (_, r) in enumerate(ordered) if r.is_error]
    if errors:
        fig.add_trace(
            go.Scatter(
                name="error",
                mode="markers",
                y=[i for i, _ in errors],
                x=[start_ms[r.span_id] + r.duration_ms for _, r in errors],
                marker={"symbol": "x", "size": 12, "color": ERROR_COLOR},
                hovertext=[_hover(r, start_ms[r.span_id]) for _, r in errors],
                hoverinfo="text",
            )
        )
    labels = [
        _label(depth, r, callee.get(r.span_id) if r.kind == "client" else None)
        for depth, r in ordered
    ]
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
