"""Two traces of the same request side by side: what one has that the other lacks."""

from __future__ import annotations

from collections import Counter

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .plotly_offline import use_offline_renderer
from .spans import one_trace
from .tables import Table

use_offline_renderer()  # figures made here show with no network (see plotly_offline)


def _per_service(trace) -> tuple[Counter, Counter]:
    spans, attributes = Counter(), Counter()
    for record in trace:
        spans[record.service] += 1
        attributes[record.service] += len(record.attributes) + len(record.events)
    return spans, attributes


def gained_chart(before, after, *, labels=("before", "after"), title: str) -> go.Figure:
    """Spans, and attributes plus events, per service in each trace (grouped bars)."""
    before, after = one_trace(before), one_trace(after)
    services = list(dict.fromkeys(r.service for r in [*before, *after]))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("spans", "attributes + events"))
    for label, trace, color in ((labels[0], before, "#BAB0AC"), (labels[1], after, "#4C78A8")):
        spans, attributes = _per_service(trace)
        for col, counts in ((1, spans), (2, attributes)):
            fig.add_trace(
                go.Bar(
                    name=label,
                    x=services,
                    y=[counts[s] for s in services],
                    marker_color=color,
                    showlegend=col == 1,
                    legendgroup=label,
                ),
                row=1,
                col=col,
            )
    fig.update_layout(title=title, barmode="group", height=360, margin={"t": 80})
    return fig


def gained_table(before, after) -> Table:
    """Per span name: the attribute keys and events only the ``after`` trace has."""
    seen = {}
    for record in one_trace(before):
        keys = seen.setdefault((record.service, record.name), set())
        keys.update(record.attributes)
        keys.update(f"event: {name}" for name, _ in record.events)
    rows = {}
    for record in one_trace(after):
        old = seen.get((record.service, record.name))
        new = set(record.attributes) | {f"event: {name}" for name, _ in record.events}
        gained = sorted(new - (old or set()))
        if gained or old is None:
            key = (record.service, record.name)
            label = "new span" if old is None else "same span"
            rows.setdefault(key, [record.service, record.name, label, set()])[3].update(gained)
    return Table(
        ["service", "span", "change", "gained"],
        [[s, n, label, ", ".join(sorted(g)) or "—"] for s, n, label, g in sorted(rows.values())],
    )
