"""A sampler that decides by route: always keep checkout, never keep health checks or
static files, and ask another sampler about the rest (lesson 06).

The Flask instrumentation passes ``url.path`` (and the method) to the sampler as the
server span starts, which is the only moment a sampler is asked. A span with a parent is
left to ``otherwise`` (put ``ParentBased`` there), so a trace is decided once, at its root.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult


class RouteSampler(Sampler):
    def __init__(self, otherwise: Sampler, *, keep: Sequence[str] = ("/checkout",),
                 drop: Sequence[str] = ("/health", "/static/")) -> None:  # fmt: skip
        self.otherwise, self.keep, self.drop = otherwise, tuple(keep), tuple(drop)

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                      links=None, trace_state=None) -> SamplingResult:  # fmt: skip
        has_parent = trace.get_current_span(parent_context).get_span_context().is_valid
        path = str((attributes or {}).get("url.path", ""))
        if not has_parent and path.startswith(self.drop):
            return SamplingResult(Decision.DROP)
        if not has_parent and path.startswith(self.keep):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        return self.otherwise.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return (
            f"RouteSampler{{keep={','.join(self.keep)};drop={','.join(self.drop)};"
            f"otherwise={self.otherwise.get_description()}}}"
        )
