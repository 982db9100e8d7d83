"""Decode a W3C ``traceparent`` header, and say why an invalid one is invalid.

Whether a header is valid, and its trace id, parent span id and flags, come from
OpenTelemetry's W3C propagator (``TraceContextTextMapPropagator().extract``): it returns
a context whose span context is valid only for a header it accepts. The propagator does
not say *why* it refuses a header, so ``reasons`` explains the refusal for the learner,
checking the rules of the W3C Trace Context specification one by one.
"""

from __future__ import annotations

import html
import string
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .widget_bundle import with_widget

FIELDS = (("version", 2), ("trace id", 32), ("parent span id", 16), ("flags", 2))
HEX = set(string.hexdigits.lower())


@dataclass(frozen=True)
class Decoded:
    header: str
    valid: bool
    version: str = ""
    trace_id: str = ""
    parent_id: str = ""
    flags: str = ""
    sampled: bool = False
    reasons: tuple[str, ...] = ()

    def rows(self) -> list[tuple[str, str]]:
        if not self.valid:
            return [("valid", "no"), *(("why", reason) for reason in self.reasons)]
        return [
            ("valid", "yes"),
            ("version", self.version),
            ("trace id", self.trace_id),
            ("parent span id", self.parent_id),
            ("flags", f"{self.flags} (sampled: {'yes' if self.sampled else 'no'})"),
        ]

    def __str__(self) -> str:
        return "\n".join(f"{name:>15}: {value}" for name, value in self.rows())

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:right;padding-right:1em'>{html.escape(n)}</th>"
            f"<td><code>{html.escape(v)}</code></td></tr>"
            for n, v in self.rows()
        )
        return f"<p><code>{html.escape(self.header)}</code></p><table>{cells}</table>"


def reasons(header: str) -> tuple[str, ...]:
    """Why the specification refuses this header (empty when nothing is wrong)."""
    if not header.strip():
        return ("the header is empty",)
    parts = header.strip().split("-")
    if len(parts) < 4:
        fields = "1 field" if len(parts) == 1 else f"{len(parts)} fields"
        return (f"it has {fields}; a traceparent has 4, joined by '-'",)
    found = []
    for (name, size), value in zip(FIELDS, parts, strict=False):
        if len(value) != size:
            found.append(f"the {name} has {len(value)} characters; it must have {size}")
        elif not set(value) <= HEX:
            bad = "".join(sorted(set(value) - HEX))
            found.append(f"the {name} {value!r} is not lowercase hex (it has {bad!r})")
    if found:
        return tuple(found)
    version, trace_id, parent_id, _flags = parts[:4]
    if version == "ff":
        found.append("version ff is forbidden by the specification")
    if version == "00" and len(parts) > 4:
        found.append("version 00 has exactly 4 fields; this header has more")
    if set(trace_id) == {"0"}:
        found.append("the trace id is all zeros, which means 'no trace'")
    if set(parent_id) == {"0"}:
        found.append("the parent span id is all zeros, which means 'no span'")
    return tuple(found)


def decode(header: str) -> Decoded:
    """Decode with OpenTelemetry's propagator; explain the refusal if it refuses."""
    context = TraceContextTextMapPropagator().extract({"traceparent": header})
    span_context = trace.get_current_span(context).get_span_context()
    if not span_context.is_valid:
        why = reasons(header) or ("the propagator refused it (a rule this decoder does not know)",)
        return Decoded(header, False, reasons=why)
    return Decoded(
        header,
        True,
        version=header.strip()[:2],
        trace_id=trace.format_trace_id(span_context.trace_id),
        parent_id=trace.format_span_id(span_context.span_id),
        flags=f"{int(span_context.trace_flags):02x}",
        sampled=span_context.trace_flags.sampled,
    )


class TraceparentDecoder:
    """A text box that decodes as you type (Jupyter); the decoded header (book, slides)."""

    def __init__(self, header: str) -> None:
        self.header = header

    def widget(self):
        import ipywidgets as widgets

        box = widgets.Text(value=self.header, description="traceparent",
                           layout={"width": "60em"})  # fmt: skip
        out = widgets.HTML(decode(self.header)._repr_html_())

        def update(change):
            out.value = decode(change["new"])._repr_html_()

        box.observe(update, names="value")
        return widgets.VBox([box, out])

    def _repr_mimebundle_(self, include=None, exclude=None):
        decoded = decode(self.header)
        bundle = {"text/plain": str(decoded), "text/html": decoded._repr_html_()}
        return with_widget(bundle, self.widget)


def traceparent_decoder(header: str) -> TraceparentDecoder:
    """An interactive decoder, starting from ``header``."""
    return TraceparentDecoder(header)
