"""Spans and log lines as tables: HTML in Jupyter and the book, plain text elsewhere."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from .spans import by_trace, depth_first, one_trace

_CELL = "text-align:left;vertical-align:top;padding:0.2em 0.5em"
_LONG_TOKEN = 12  # a word longer than this (an id) may wrap anywhere; others wrap at spaces


def _cell(value) -> str:
    """A table cell; leading spaces (a span's depth in its trace) become an indent."""
    text = str(value)
    name = text.lstrip(" ")
    style = _CELL
    if name != text:
        style += f";padding-left:{0.5 + (len(text) - len(name)) / 2:g}em"
    if any(len(word) > _LONG_TOKEN for word in name.split()):
        style += ";overflow-wrap:anywhere"
    return f"<td style='{style}'>{html.escape(name)}</td>"


class Table:
    """Rows under a header; shows as an HTML table in Jupyter and as text in a terminal."""

    def __init__(self, header: Sequence[str], rows: Iterable[Sequence], highlight=None) -> None:
        self.header = list(header)
        self.rows = [list(row) for row in rows]
        self._highlight = highlight or (lambda row: False)

    def __len__(self) -> int:
        return len(self.rows)

    def _repr_html_(self) -> str:
        # Inline styles, so the table fits its column in JupyterLab too (the book adds
        # coursekit.css): ids wrap anywhere, words at spaces; at worst the box scrolls.
        head = "".join(f"<th style='{_CELL}'>{html.escape(h)}</th>" for h in self.header)
        body = []
        for row in self.rows:
            style = " style='background:#fde2e1'" if self._highlight(row) else ""
            body.append(f"<tr{style}>{''.join(_cell(c) for c in row)}</tr>")
        return (
            "<div class='coursekit-table-box' style='max-width:100%;overflow-x:auto'>"
            "<table class='coursekit-table' style='font-size:0.85em;margin:0'><thead><tr>"
            + head
            + "</tr></thead><tbody>"
            + "".join(body)
            + "</tbody></table></div>"
        )

    def __str__(self) -> str:
        widths = [
            max(len(str(x)) for x in [h, *(r[i] for r in self.rows)])
            for i, h in enumerate(self.header)
        ]
        lines = ["  ".join(str(h).ljust(w) for h, w in zip(self.header, widths, strict=True))]
        for row in self.rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        return "\n".join(line.rstrip() for line in lines)

    __repr__ = __str__


def span_table(spans, trace_id: str | None = None, *, timings: bool = True) -> Table:
    """The spans of one trace, parents before children; error spans highlighted.

    ``timings=False`` leaves out start and duration (which vary from run to run).
    """
    trace = one_trace(spans, trace_id)
    t0 = min(r.start_ns for r in trace)
    header = ["span", "service", "kind", "span id", "parent id", "status"]
    if timings:
        header += ["start ms", "duration ms"]
    rows = []
    for depth, r in depth_first(trace):
        row = ["  " * depth + r.name, r.service, r.kind, r.span_id, r.parent_id or "-", r.status]
        if timings:
            row += [f"{(r.start_ns - t0) / 1e6:.1f}", f"{r.duration_ms:.1f}"]
        rows.append(row)
    return Table(header, rows, highlight=lambda row: row[5] == "ERROR")


def trace_table(spans) -> Table:
    """One row per trace: its id, how many spans, which services, and its root span."""
    rows = []
    for trace_id, trace in by_trace(spans).items():
        root = trace[0]
        services = ", ".join(dict.fromkeys(r.service for r in trace))
        rows.append([trace_id, len(trace), services, f"{root.service}: {root.name}", root.status])
    return Table(["trace id", "spans", "services", "root span", "root status"], rows,
                 highlight=lambda row: row[4] == "ERROR")  # fmt: skip
