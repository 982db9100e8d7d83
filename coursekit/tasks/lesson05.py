"""Lesson 05's "your turn" checks: a sampler that reads attributes, sizing a tail sampler's
``num_traces``, and an error rate computed over spans.

The sampler check asks the learner's sampler about spans it generates (seeded trace ids,
roots and children, health checks and checkouts) and compares each decision with the
SDK's own ``ParentBased(TraceIdRatioBased(0.1))``, the sampler the task wraps.
"""

from __future__ import annotations

import random

from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from ..checks.report import NotYet, call_learner_code, run_check
from ..spans import SpanRecord

HEALTH = ("GET /health", {"http.request.method": "GET", "url.path": "/health"})
CHECKOUT = ("POST /checkout", {"http.request.method": "POST", "url.path": "/checkout"})


def _parent(trace_id: int, sampled: bool):
    """A context whose current span is a remote parent, sampled or not."""
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    parent = SpanContext(trace_id, 0x1234, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(parent))


def _decide(sampler, parent, trace_id, name, attributes) -> bool:
    result = call_learner_code(
        sampler.should_sample, parent, trace_id, name, SpanKind.SERVER, dict(attributes),
        name="should_sample",
    )  # fmt: skip
    decision = getattr(result, "decision", None)
    if decision is None:
        raise NotYet(f"should_sample returned {result!r}: return a SamplingResult")
    return decision.is_sampled()


def _check_sampler(sampler) -> str:
    if not isinstance(sampler, Sampler):
        raise NotYet("sampler must be a Sampler object, e.g. NoHealthChecks(ParentBased(...))")
    reference = ParentBased(TraceIdRatioBased(0.1))
    draw = random.Random(2026)  # trace ids the lesson never showed
    for _ in range(400):
        trace_id = draw.getrandbits(128) or 1
        if _decide(sampler, None, trace_id, *HEALTH):
            raise NotYet(
                "a new trace for GET /health was kept: when attributes['url.path'] is "
                "/health, return SamplingResult(Decision.DROP)."
            )
        for parent in (None, _parent(trace_id, True), _parent(trace_id, False)):
            want = _decide(reference, parent, trace_id, *CHECKOUT)
            got = _decide(sampler, parent, trace_id, *CHECKOUT)
            if got != want:
                where = "a new trace" if parent is None else "its parent " + (
                    "was sampled" if trace.get_current_span(parent).get_span_context()
                    .trace_flags.sampled else "was dropped")  # fmt: skip
                raise NotYet(
                    f"for POST /checkout ({where}), your sampler said "
                    f"{'keep' if got else 'drop'}, ParentBased(TraceIdRatioBased(0.1)) says "
                    f"{'keep' if want else 'drop'}: for everything but health checks, "
                    "return what self.then decides."
                )
    return "health checks are dropped; every other span gets ParentBased's decision."


def check_sampler(sampler) -> None:
    """Your turn: a sampler that drops health checks and delegates everything else."""
    run_check(_check_sampler, sampler)


#: The fleet of the sizing task.
NEW_TRACES_PER_SECOND = 10_000
COLLECTORS = 4
DECISION_WAIT_S = 10
HEADROOM = 3  # accepted up to three times the minimum


def _check_num_traces(num_traces) -> str:
    if isinstance(num_traces, bool) or not isinstance(num_traces, (int, float)):
        raise NotYet(f"num_traces is {num_traces!r}: a number of traces, such as 12_000")
    per_collector = NEW_TRACES_PER_SECOND / COLLECTORS
    minimum = per_collector * DECISION_WAIT_S
    if num_traces in (per_collector, NEW_TRACES_PER_SECOND):
        raise NotYet(
            f"{num_traces:,.0f} is traces per second: a trace is held for the whole "
            f"decision_wait ({DECISION_WAIT_S} s) before its decision, so multiply."
        )
    if num_traces < minimum:
        raise NotYet(
            f"{num_traces:,.0f} is too few: each Collector gets {per_collector:,.0f} new "
            f"traces per second and holds each for {DECISION_WAIT_S} s. When num_traces is "
            "full, the oldest traces are dropped before their decision."
        )
    if num_traces >= NEW_TRACES_PER_SECOND * DECISION_WAIT_S:
        raise NotYet(
            f"{num_traces:,.0f} holds the whole fleet's traffic: the loadbalancing exporter "
            f"routes each trace id to one of {COLLECTORS} Collectors, so each sees a quarter."
        )
    if num_traces > HEADROOM * minimum:
        raise NotYet(
            f"{num_traces:,.0f} is more than {HEADROOM}x what is needed: memory grows "
            "with num_traces; keep some headroom, not that much."
        )
    return (
        f"{per_collector:,.0f} new traces/s x {DECISION_WAIT_S} s = {minimum:,.0f} traces "
        f"held per Collector; {num_traces:,.0f} leaves {num_traces / minimum - 1:.0%} headroom."
    )


def check_num_traces(num_traces) -> None:
    """Your turn: num_traces for one Collector of the fleet."""
    run_check(_check_num_traces, num_traces)


def _trace(draw: random.Random, trace_number: int, errors: int, spans: int) -> list[SpanRecord]:
    trace_id = f"{trace_number:032x}"
    records = []
    for n in range(spans):
        records.append(SpanRecord(
            trace_id=trace_id, span_id=f"{trace_number * 100 + n + 1:016x}",
            parent_id=None if n == 0 else f"{trace_number * 100 + 1:016x}",
            name=f"span {n}", service="shop", kind="internal", start_ns=n, end_ns=n + 1,
            status="ERROR" if n < errors else draw.choice(["UNSET", "OK"]),
        ))  # fmt: skip
    draw.shuffle(records)
    return records


def _check_error_rate(error_rate) -> str:
    if not callable(error_rate):
        raise NotYet("error_rate must be a function: def error_rate(spans): ...")
    draw = random.Random(5)
    for _ in range(20):
        traces = [
            _trace(draw, number, errors=draw.choice([0, 0, 0, 1, 2]), spans=draw.randint(2, 9))
            for number in range(1, draw.randint(5, 40))
        ]
        spans = [span for t in traces for span in t]
        draw.shuffle(spans)
        want = sum(any(s.is_error for s in t) for t in traces) / len(traces)
        got = call_learner_code(error_rate, list(spans), name="error_rate")
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise NotYet(f"error_rate returned {got!r}: return a share, between 0 and 1")
        if abs(got - want) > 1e-9:
            error_spans = sum(s.is_error for s in spans)
            if abs(got - error_spans / len(spans)) < 1e-9:
                raise NotYet("that is the share of error *spans*: count traces instead.")
            if abs(got - error_spans / len(traces)) < 1e-9:
                raise NotYet("a trace with two error spans counted twice: count each trace once.")
            if abs(got - 100 * want) < 1e-6:
                raise NotYet("that is a percentage: return a share between 0 and 1.")
            raise NotYet(
                f"on {len(traces)} traces with {round(want * len(traces))} failing, "
                f"error_rate gave {got!r}, not {want:.3f}: group spans by trace_id, a trace "
                "fails if any of its spans has status ERROR."
            )
    if call_learner_code(error_rate, [], name="error_rate") not in (0, 0.0):
        raise NotYet("with no spans at all, the error rate is 0: no division by zero.")
    return "the share of traces with at least one error span, on 20 generated sets."


def check_error_rate(error_rate) -> None:
    """Your turn: the share of traces that failed, from their spans."""
    run_check(_check_error_rate, error_rate)
