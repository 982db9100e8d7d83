"""A rate-limiting sampler for the SDK: at most N new traces per second.

The SDK ships the other samplers the course uses: ``ALWAYS_ON``, ``TraceIdRatioBased``
(the decision is a function of the trace id) and ``ParentBased`` (follow the caller). It
also reads ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` itself, in any
``TracerProvider()`` built without a sampler. What it lacks is a cap in traces per second,
the sampler an SRE reaches for when traffic spikes: ``RateLimitingSampler(10)``.

Design: a token bucket, and only the start of a trace spends a token. A span with a parent
follows the parent's decision, so the sampler keeps whole traces and "10 per second" means
10 traces, not 10 spans, even where every service runs it. Inside ``ParentBased(...)`` as
the root sampler it behaves the same (``ParentBased`` then decides for children first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes


class RateLimitingSampler(Sampler):
    """Keeps at most ``traces_per_second`` new traces per second; children follow the parent.

    A token bucket: it holds up to ``burst`` tokens (by default one second's worth), refills
    at ``traces_per_second``, and each new trace it keeps takes one token. So a burst after
    a quiet spell keeps up to ``burst`` traces at once, and a steady flood keeps the rate.
    ``clock`` (seconds, monotonic) is there for tests. Safe to share between threads.
    """

    def __init__(
        self,
        traces_per_second: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not traces_per_second > 0:
            raise ValueError(f"traces_per_second must be above 0, not {traces_per_second!r}")
        self.traces_per_second = float(traces_per_second)
        self.burst = float(max(1.0, self.traces_per_second) if burst is None else burst)
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1 trace, not {burst!r}")
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.burst  # start full: the first second's traces are kept
        self._last = clock()

    def _take_token(self) -> bool:
        with self._lock:  # refill and spend in one step, or two threads spend one token
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(self.burst, self._tokens + elapsed * self.traces_per_second)
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if parent.is_valid:  # the trace's decision was made where it started: keep it whole
            keep = parent.trace_flags.sampled
        else:
            keep = self._take_token()
        # The SDK's static samplers build the result (attributes, parent's tracestate).
        decided = ALWAYS_ON if keep else ALWAYS_OFF
        return decided.should_sample(parent_context, trace_id, name, kind, attributes, links)

    def get_description(self) -> str:
        return f"RateLimiting{{{self.traces_per_second}}}"
