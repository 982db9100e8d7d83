"""A trace explorer over the receiver's SQLite store: ``ck.explore(receiver)``.

In Jupyter it is a form (service, span name, status, minimum duration, how recent) and a
list of the matching traces: pick one to see its waterfall with the **critical path**
marked, pick two to compare them side by side. The book, with no kernel, shows a static
form: a table of the matches and the first trace's waterfall. What a learner gets from
the Jaeger UI, with no Docker.

``critical_path(records)`` is the chain of spans that decides a trace's duration, as
Jaeger computes it: from the end of the root span, walk back through the child that
finished last, then the child that finished last before that one started, and so on;
the parent's own time fills the gaps.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from .plotly_offline import OfflineRenderer, use_offline_renderer
from .spans import SpanRecord, depth_first, one_trace
from .waterfall import waterfall
from .widget_bundle import with_widget

use_offline_renderer()  # figures made here show with no network (see plotly_offline)

CRITICAL_COLOR = "#111111"


@dataclass(frozen=True)
class Segment:
    """A stretch of time on the critical path, spent in one span (not in its children)."""

    span_id: str
    start_ns: int
    end_ns: int


def critical_path(records: list[SpanRecord]) -> list[Segment]:
    """The critical path of one trace's records, as segments in time order.

    The segments cover the root span's duration exactly once. A child that ends after its
    parent counts only up to the parent's end. A trace with several roots (a broken one)
    is measured from its longest root.
    """
    if not records:
        return []
    ids = {r.span_id for r in records}
    children: dict[str, list[SpanRecord]] = {}
    for r in records:
        if r.parent_id in ids:
            children.setdefault(r.parent_id, []).append(r)
    roots = [r for r in records if r.parent_id not in ids]
    root = max(roots, key=lambda r: (r.end_ns - r.start_ns, -r.start_ns))
    segments: list[Segment] = []

    def walk(span: SpanRecord, start: int, end: int) -> None:
        cursor = end
        pending = [c for c in children.get(span.span_id, []) if c.start_ns < end]
        while cursor > start:
            running = [c for c in pending if c.start_ns < cursor]
            if not running:
                segments.append(Segment(span.span_id, start, cursor))
                return
            # the child that finished last before the cursor decides this stretch
            last = max(running, key=lambda c: (min(c.end_ns, cursor), c.end_ns - c.start_ns))
            child_end = min(last.end_ns, cursor)
            if child_end < cursor:
                segments.append(Segment(span.span_id, child_end, cursor))
            child_start = max(last.start_ns, start)
            if child_end > child_start:
                walk(last, child_start, child_end)
            pending.remove(last)
            cursor = child_start

    walk(root, root.start_ns, root.end_ns)
    return sorted(segments, key=lambda s: (s.start_ns, s.end_ns))


def critical_waterfall(records: list[SpanRecord], trace_id: str | None = None, **options):
    """``coursekit.waterfall`` with the critical path drawn over it as a black line."""
    trace = one_trace(records, trace_id)
    fig = waterfall(trace, **options)
    ordered = depth_first(trace)
    row = {r.span_id: i for i, (_, r) in enumerate(ordered)}
    t0 = min(r.start_ns for r in trace)
    path = critical_path(trace)
    fig.add_trace(
        go.Bar(
            name="critical path",
            orientation="h",
            y=[row[s.span_id] for s in path],
            x=[max((s.end_ns - s.start_ns) / 1e6, 0.05) for s in path],
            base=[(s.start_ns - t0) / 1e6 for s in path],
            width=0.18,
            marker_color=CRITICAL_COLOR,
            hoverinfo="skip",
        )
    )
    return fig


def _store(source):
    """A ``SpanStore`` from a store, a receiver (or its ``store``), or a store file."""
    from services.backend.store import SpanStore

    if isinstance(source, str | Path):
        if not Path(source).is_file():
            raise ValueError(f"no span store at {source}")
        return SpanStore(source)
    if isinstance(source, SpanStore):
        return source
    db = getattr(source, "db", None)
    if isinstance(db, SpanStore):
        if hasattr(source, "decide_now") or hasattr(source, "decide"):
            getattr(source, "store", source).decide()  # traces a tail sampler has let through
        return db
    raise TypeError(f"explore() needs a SpanStore, a receiver or a store file, not {source!r}")


STATUSES = ("", "ERROR", "OK", "UNSET")


class Explorer:
    """Search a store's traces; see one with its critical path, or two side by side."""

    def __init__(self, source, limit: int = 50) -> None:
        self.db = _store(source)
        self.limit = limit
        self.showing: tuple[str, ...] = ()  # the trace ids the widget shows now

    def search(self, service: str = "", name: str = "", status: str = "",
               min_duration_ms: float = 0, minutes: float = 0) -> list:  # fmt: skip
        """Matching traces, newest first; ``minutes``: only traces started that recently."""
        since = int((time.time() - minutes * 60) * 1e9) if minutes else None
        return self.db.traces(service=service or None, name=name or None,
                              status=status or None, min_duration_ms=min_duration_ms or None,
                              since_ns=since, limit=self.limit)  # fmt: skip

    def figure(self, trace_id: str):
        return critical_waterfall(self.db.records(trace_id=trace_id), trace_id)

    # -- the static form (no kernel) ------------------------------------------------------

    def static_html(self) -> str:
        traces = self.search()
        rows = "".join(
            f"<tr><td><code>{t.trace_id[:16]}…</code></td><td>{html.escape(t.root)}</td>"
            f"<td>{html.escape(', '.join(t.services))}</td><td>{t.spans}</td>"
            f"<td>{t.errors}</td><td>{t.duration_ms:.1f}</td></tr>"
            for t in traces
        )
        table = (
            "<table><thead><tr><th>trace</th><th>root</th><th>services</th><th>spans</th>"
            f"<th>errors</th><th>ms</th></tr></thead><tbody>{rows}</tbody></table>"
        )
        first = ""
        if traces:
            fig = self.figure(traces[0].trace_id)
            first = OfflineRenderer().to_mimebundle(fig.to_dict())["text/html"]
        count = f"{len(traces)} trace" + ("" if len(traces) == 1 else "s")
        return (
            f"<div class='coursekit-explore'><p><b>{count}</b> in the store "
            f"(newest first; the first one's waterfall below, the critical path in black)."
            f"</p>{table}{first}</div>"
        )

    def _text(self) -> str:
        return f"<Explorer over {self.db!r}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return with_widget({"text/plain": self._text(), "text/html": self.static_html()},
                           self.widget)  # fmt: skip

    # -- the widget (Jupyter) -------------------------------------------------------------

    def widget(self):
        import ipywidgets as w

        service = w.Dropdown(options=["", *self.db.services()], description="service")
        name = w.Text(description="span name", placeholder="any")
        status = w.Dropdown(options=STATUSES, description="status")
        min_ms = w.FloatText(value=0, description="min ms")
        minutes = w.FloatText(value=0, description="last minutes", tooltip="0: any time")
        search = w.Button(description="Search", button_style="primary")
        found = w.SelectMultiple(options=[], rows=10, description="traces",
                                 layout=w.Layout(width="95%"))  # fmt: skip
        shown = w.VBox()
        summary = w.HTML()

        def run_search(_=None):
            traces = self.search(service.value, name.value.strip(), status.value,
                                 min_ms.value, minutes.value)  # fmt: skip
            found.options = [(f"{t.trace_id[:12]}…  {t.root}  {t.spans} spans, "
                              f"{t.errors} errors, {t.duration_ms:.1f} ms", t.trace_id)
                             for t in traces]  # fmt: skip
            summary.value = f"{len(traces)} traces match (pick one, or two to compare)"

        def drawn(trace_id: str, width: str = "100%"):
            # the output is set, not captured from display(): the same in any kernel
            out = w.Output(layout=w.Layout(width=width))
            bundle = OfflineRenderer().to_mimebundle(self.figure(trace_id).to_dict())
            out.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
            return out

        def show(_=None):
            picked = list(found.value)[:2]
            self.showing = tuple(picked)
            if len(picked) == 1:
                shown.children = [drawn(picked[0])]
            elif len(picked) == 2:
                shown.children = [w.HBox([drawn(t, "50%") for t in picked])]
            else:
                shown.children = []

        search.on_click(run_search)
        found.observe(show, names="value")
        run_search()
        form = w.VBox([w.HBox([service, name, status]), w.HBox([min_ms, minutes, search])])
        return w.VBox([form, summary, found, shown])


def explore(source, limit: int = 50) -> Explorer:
    """An explorer over a ``SpanStore``, a receiver, or a store file (as a cell's value)."""
    return Explorer(source, limit)
