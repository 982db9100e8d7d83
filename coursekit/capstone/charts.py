"""The capstone's chart: what each design costs a month, against the budget."""

from __future__ import annotations

import plotly.graph_objects as go

from ..plotly_offline import use_offline_renderer
from .simulate import Report

use_offline_renderer()  # figures made here show with no network (see plotly_offline)


def cost_chart(reports: dict[str, Report], title: str = "Cost a month, against the budget"):
    """One bar per named report (log scale: designs differ by orders of magnitude), the
    brief's budget as a line; a bar is orange when its failed checkouts were not all kept."""
    names = list(reports)
    costs = [reports[n].cost_per_month() for n in names]
    lost = [reports[n].share("failed", "checkout") < 1 for n in names]
    budget = next(iter(reports.values())).brief.budget_per_month
    fig = go.Figure(go.Bar(
        x=costs, y=names, orientation="h", text=[f"${c:,.0f}" for c in costs],
        textposition="outside", cliponaxis=False,
        marker={"color": ["#F58518" if x else "#4C78A8" for x in lost]},
        hovertemplate="%{y}: $%{x:,.0f} a month<extra></extra>",
    ))  # fmt: skip
    fig.add_vline(x=budget, line={"color": "#E45756", "dash": "dash"},
                  annotation_text=f"budget ${budget:,.0f}",
                  annotation_position="bottom right")  # fmt: skip
    fig.update_layout(
        title=f"{title}; dashed: the ${budget:,.0f} budget", template="plotly_white",
        height=320, margin={"t": 60, "b": 40, "l": 10},
        xaxis={"title": "dollars a month (log scale)", "type": "log",
               "range": [1, 5]},  # $10 to $100,000
        yaxis={"autorange": "reversed"}, showlegend=False,
    )  # fmt: skip
    return fig
