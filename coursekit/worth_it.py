"""Is the tracing overhead worth it? A small calculator: the latency budget against the
time traces save in incidents (lesson 06).

Two sums, kept apart because they are paid in different currencies:

- **latency**: the p99 with tracing (today's p99 plus the overhead) against the SLO's p99;
- **time**: hours of incidents a month, without traces and with them (time to resolve).

The calculator does not add them up into one number: whether an hour of an engineer is
worth 10 ms of p99 is a decision, not arithmetic. It says when the SLO breaks.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields, replace

from .widget_bundle import with_widget


@dataclass(frozen=True)
class Situation:
    p99_ms: float = 200.0  #: today's p99, without tracing
    overhead: float = 0.25  #: tracing's cost on the p99 (0.25: +25%)
    slo_p99_ms: float = 300.0  #: the latency SLO: the p99 must stay under this
    incidents_per_month: float = 4.0
    hours_to_resolve_without: float = 3.0  #: time to resolve an incident with logs alone
    hours_to_resolve_with: float = 1.0  #: ... with traces
    engineers: int = 3  #: people on an incident

    def replace(self, **changes) -> Situation:
        return replace(self, **changes)


@dataclass(frozen=True)
class Verdict:
    p99_with_ms: float
    headroom_ms: float  #: the SLO minus the p99 with tracing (negative: it breaks)
    max_overhead: float  #: the overhead at which the p99 reaches the SLO
    hours_saved: float  #: engineer-hours of incidents saved a month

    @property
    def within_slo(self) -> bool:
        return self.headroom_ms >= 0


def weigh(s: Situation) -> Verdict:
    p99_with = s.p99_ms * (1 + s.overhead)
    saved = s.incidents_per_month * (s.hours_to_resolve_without - s.hours_to_resolve_with)
    return Verdict(p99_with, s.slo_p99_ms - p99_with, s.slo_p99_ms / s.p99_ms - 1,
                   saved * s.engineers)  # fmt: skip


def sentence(s: Situation) -> str:
    v = weigh(s)
    slo = (
        f"stays {v.headroom_ms:.0f} ms under the {s.slo_p99_ms:.0f} ms SLO"
        if v.within_slo
        else f"breaks the {s.slo_p99_ms:.0f} ms SLO by {-v.headroom_ms:.0f} ms"
    )
    return (
        f"With +{s.overhead:.0%}, the p99 goes from {s.p99_ms:.0f} to {v.p99_with_ms:.0f} ms and "
        f"{slo} (the SLO allows up to +{v.max_overhead:.0%}). Traces save about "
        f"{v.hours_saved:.0f} engineer-hours of incidents a month."
    )


_SLIDERS = {  # field: (min, max, step, description)
    "p99_ms": (10, 2000, 10, "p99 today (ms)"),
    "overhead": (0.0, 1.0, 0.01, "tracing overhead (share)"),
    "slo_p99_ms": (10, 3000, 10, "SLO: p99 under (ms)"),
    "incidents_per_month": (0, 30, 1, "incidents per month"),
    "hours_to_resolve_without": (0.1, 24, 0.1, "hours to resolve, logs only"),
    "hours_to_resolve_with": (0.1, 24, 0.1, "hours to resolve, with traces"),
    "engineers": (1, 20, 1, "engineers per incident"),
}


class Calculator:
    def __init__(self, situation: Situation) -> None:
        self.situation = situation

    def widget(self):
        import ipywidgets as widgets

        style, layout = {"description_width": "16em"}, {"width": "38em"}
        sliders = {
            name: widgets.FloatSlider(
                value=getattr(self.situation, name), min=low, max=high, step=step,
                description=text, style=style, layout=layout,
            )
            for name, (low, high, step, text) in _SLIDERS.items()
        }  # fmt: skip
        out = widgets.HTML()

        def update(_=None):
            values = {n: s.value for n, s in sliders.items()}
            values["engineers"] = int(values["engineers"])
            out.value = f"<p>{html.escape(sentence(Situation(**values)))}</p>"

        for slider in sliders.values():
            slider.observe(update, names="value")
        update()
        return widgets.VBox([*sliders.values(), out])

    def _repr_mimebundle_(self, include=None, exclude=None):
        s = self.situation
        rows = "".join(
            f"<tr><td>{html.escape(_SLIDERS[f.name][3])}</td><td>{getattr(s, f.name):g}</td></tr>"
            for f in fields(s)
        )
        static = (
            f"<div class='coursekit-worth-it'><table>{rows}</table>"
            f"<p><b>{html.escape(sentence(s))}</b></p>"
            "<p><i>In Jupyter, sliders change every figure.</i></p></div>"
        )
        return with_widget({"text/plain": sentence(s), "text/html": static}, self.widget)


def calculator(situation: Situation | None = None) -> Calculator:
    """The calculator, starting from the article's case (200 ms p99, +25%)."""
    return Calculator(situation or Situation())
