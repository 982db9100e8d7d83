"""The service map: which service called which, with call and error counts."""

from __future__ import annotations

from collections import Counter

import plotly.graph_objects as go

from .colors import ERROR_COLOR, service_color
from .plotly_offline import use_offline_renderer
from .spans import records

use_offline_renderer()  # figures made here show with no network (see plotly_offline)

USER = "user"


def service_calls(spans) -> dict[tuple[str, str], dict[str, int]]:
    """``{(caller, callee): {"calls": n, "errors": m}}``, counted from server spans.

    A server span's caller is the service of its parent span; a server span with no parent
    was called by the ``"user"``. A call counts as an error when the server span is ERROR.
    """
    all_records = records(spans)
    service_of = {(r.trace_id, r.span_id): r.service for r in all_records}
    calls: Counter = Counter()
    errors: Counter = Counter()
    for r in all_records:
        if r.kind != "server":
            continue
        caller = service_of.get((r.trace_id, r.parent_id), USER) if r.parent_id else USER
        calls[(caller, r.service)] += 1
        errors[(caller, r.service)] += r.is_error
    return {edge: {"calls": calls[edge], "errors": errors[edge]} for edge in sorted(calls)}


def _layers(edges) -> dict[str, int]:
    """Each service's distance from the user: its column on the map."""
    depth = {USER: 0}
    for _ in range(len(edges) + 1):
        for caller, callee in edges:
            if caller in depth and depth.get(callee, 1 << 30) > depth[caller] + 1:
                depth[callee] = depth[caller] + 1
    for caller, callee in edges:  # callers never reached from the user
        depth.setdefault(caller, 0)
        depth.setdefault(callee, depth[caller] + 1)
    return depth


def service_map(spans, *, title: str = "Service map") -> go.Figure:
    """A plotly service map; each arrow is labelled with its calls and errors."""
    edges = service_calls(spans)
    depth = _layers(edges)
    columns: dict[int, list[str]] = {}
    for service in sorted(depth, key=lambda s: (depth[s], s)):
        columns.setdefault(depth[service], []).append(service)
    position = {
        s: (col, (len(names) - 1) / 2 - i)
        for col, names in columns.items()
        for i, s in enumerate(names)
    }
    fig = go.Figure()
    for (caller, callee), count in edges.items():
        (x0, y0), (x1, y1) = position[caller], position[callee]
        failing = count["errors"] > 0
        fig.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowwidth=2,
            standoff=22,
            startstandoff=22,
            arrowcolor=ERROR_COLOR if failing else "#888",
        )
        label = f"{count['calls']} calls" + (f", {count['errors']} errors" if failing else "")
        # Above the arrow, leaning away from it when the arrow slopes.
        fig.add_annotation(
            x=(x0 + x1) / 2,
            y=(y0 + y1) / 2,
            yshift=12,
            xanchor="left" if y1 < y0 else "right" if y1 > y0 else "center",
            text=label,
            showarrow=False,
            font={"color": ERROR_COLOR if failing else "#444"},
        )
    failing_services = {callee for (_, callee), c in edges.items() if c["errors"]}
    names = list(position)
    fig.add_trace(
        go.Scatter(
            x=[position[s][0] for s in names],
            y=[position[s][1] for s in names],
            mode="markers+text",
            text=names,
            textposition="bottom center",
            marker={
                "size": 34,
                "color": [service_color(s) for s in names],
                "line": {
                    "width": 4,
                    "color": [ERROR_COLOR if s in failing_services else "white" for s in names],
                },
            },
            hovertext=[
                f"{s}: {'has errors' if s in failing_services else 'no errors'}" for s in names
            ],
            hoverinfo="text",
            showlegend=False,
        )
    )
    # As tall as the tallest column needs, no more: room for the labels, no empty band.
    rows = max(len(names) for names in columns.values())
    half = (rows - 1) / 2
    fig.update_layout(
        title=title,
        xaxis={"visible": False, "range": [-0.5, max(depth.values()) + 0.5]},
        yaxis={"visible": False, "range": [-half - 0.45, half + 0.35]},
        height=90 + 95 * rows,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        template="plotly_white",
    )
    return fig
