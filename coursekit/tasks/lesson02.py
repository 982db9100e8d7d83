"""Lesson 02's "your turn" checks: write a traceparent, and keep the context across a pool.

A header is judged by OpenTelemetry's own W3C propagator
(``TraceContextTextMapPropagator().extract``), never parsed here; ``coursekit.traceparent``
only explains a refusal. The pool check runs the learner's function on a real
``ThreadPoolExecutor`` whose worker threads serve several callers in turn.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ..traceparent import reasons
from . import NotYet, call_learner_code, run_check


# --- your turn 1: write the header ----------------------------------------------------------
def _cases():
    """(trace id, span id, sampled): seeded, with ids that have leading zero digits."""
    rng = random.Random(2026)
    cases = [(rng.getrandbits(100), rng.getrandbits(40), True)]  # leading zeros in both
    cases += [
        (rng.getrandbits(128) | 1 << 127, rng.getrandbits(64) | 1 << 63, sampled)
        for sampled in (False, True)
    ]
    cases.append((1, 2, False))  # the smallest ids
    return cases


def _check_traceparent(make_traceparent) -> str:
    propagator = TraceContextTextMapPropagator()  # the SDK's W3C propagator decides
    for trace_id, span_id, sampled in _cases():
        given = f"trace_id={trace_id:#x}, span_id={span_id:#x}, sampled={sampled}"
        header = call_learner_code(
            make_traceparent, trace_id, span_id, sampled, name="make_traceparent"
        )
        if header is None:
            raise NotYet("make_traceparent returned None: return the header, a str.")
        if not isinstance(header, str):
            raise NotYet(
                f"make_traceparent returned a {type(header).__name__}: return the "
                "header as a str (the value of the traceparent header)."
            )
        context = propagator.extract({"traceparent": header})
        got = trace.get_current_span(context).get_span_context()
        if not got.is_valid:
            why = "; ".join(reasons(header)) or "the propagator refused it"
            raise NotYet(
                f"for {given} you wrote {header!r}, which a service refuses: {why}. "
                "Each id is fixed-width lowercase hex: format(n, '032x'), "
                "format(n, '016x')."
            )
        if (got.trace_id, got.span_id) == (span_id, trace_id) != (trace_id, span_id):
            raise NotYet("the trace id and the span id are swapped: the trace id comes first.")
        if got.trace_id != trace_id:
            raise NotYet(
                f"for {given} the header's trace id is {got.trace_id:#x}: write the "
                "trace id you were given."
            )
        if got.span_id != span_id:
            raise NotYet(
                f"for {given} the header's parent id is {got.span_id:#x}: write the "
                "parent span id you were given."
            )
        if got.trace_flags.sampled != sampled:
            raise NotYet(
                f"for {given} the header says sampled={got.trace_flags.sampled}: the "
                "flags are 01 when sampled, 00 when not."
            )
    return (
        "OpenTelemetry's propagator read back every trace id, parent id and sampled "
        "flag you wrote, leading zeros included."
    )


def check_traceparent(make_traceparent) -> None:
    """``make_traceparent(trace_id, span_id, sampled)``: ids as the SDK holds them (int)."""
    run_check(_check_traceparent, make_traceparent)


# --- your turn 2: the context across a thread pool ------------------------------------------
def _run_pool(run_in_pool):
    """Call the learner's ``run_in_pool(pool, work, items)`` from two parent spans, then
    from no span, on one pool whose workers started before any of them."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("lesson02.pool")
    ran_on = []

    def work(item):
        ran_on.append(threading.current_thread().name)
        with tracer.start_as_current_span(f"work {item}"):
            time.sleep(0.02)  # long enough for the items to overlap on the workers
            return f"{item} done"

    parents, results = {}, []
    with ThreadPoolExecutor(3, thread_name_prefix="lesson02-pool") as pool:
        list(pool.map(lambda _: threading.get_ident(), range(6)))  # workers start up now
        for caller in ("A", "B"):
            with tracer.start_as_current_span(f"caller {caller}") as parent:
                parents[caller] = parent.get_span_context().span_id
                items = [f"{caller}{n}" for n in range(3)]
                results.append(
                    (items, call_learner_code(run_in_pool, pool, work, items, name="run_in_pool"))
                )
        # Other code shares the pool: its tasks, submitted plainly, must not inherit a
        # context that an earlier task left attached on a worker.
        list(pool.map(work, [f"D{n}" for n in range(9)]))
        items = ["C0", "C1", "C2"]  # called outside any span: these must be roots
        results.append(
            (items, call_learner_code(run_in_pool, pool, work, items, name="run_in_pool"))
        )
    provider.shutdown()
    return exporter.get_finished_spans(), parents, results, ran_on


def _check_pool(run_in_pool) -> str:
    try:
        spans, parents, results, ran_on = _run_pool(run_in_pool)
    except NotYet as problem:
        if "already entered" not in str(problem):
            raise
        raise NotYet(
            f"{problem}. One copy of a context can be entered by one thread at a "
            "time: make a copy per item, not one for all."
        ) from None
    for items, result in results:
        if result is None:
            raise NotYet("run_in_pool returned None: return the results of work(item), in order.")
        try:
            result = list(result)
        except TypeError:
            raise NotYet(f"run_in_pool returned {result!r}: return a list of results.") from None
        if result != [f"{item} done" for item in items]:
            raise NotYet(
                f"for items {items} run_in_pool returned {result!r}: return "
                "work(item) for each item, in order (future.result() or pool.map)."
            )
    # The learner's code runs in the harness's own thread: what matters is the pool's.
    if any(not name.startswith("lesson02-pool") for name in ran_on):
        raise NotYet(
            "the work ran in the calling thread, not on the pool: the parents are "
            "right, but the warehouses are checked one after another again. Submit "
            "each item to the pool, in the caller's context."
        )
    by_name = {span.name: span for span in spans}
    orphans = [
        n for n in by_name if n.startswith(("work A", "work B")) and by_name[n].parent is None
    ]
    if orphans:
        raise NotYet(
            f"{len(orphans)} of 6 spans started in the pool have no parent: the worker "
            "threads do not run in the caller's context. Capture it in the caller "
            "(contextvars.copy_context(), or opentelemetry.context.get_current()) and "
            "run each item in it."
        )
    for caller, parent_id in parents.items():
        wrong = [
            n
            for n in by_name
            if n.startswith(f"work {caller}") and by_name[n].parent.span_id != parent_id
        ]
        if wrong:
            raise NotYet(
                f"work started from caller {caller} got another caller's span as "
                "parent: the context was captured once (at the pool's start, or on "
                "an earlier call), not by each caller when it submits."
            )
    leaked = [
        n for n in by_name if n.startswith(("work C", "work D")) and by_name[n].parent is not None
    ]
    if leaked:
        raise NotYet(
            "work submitted later, outside any span, got a parent: a worker kept an "
            "earlier caller's context. After context.attach(...), detach the token in a "
            "finally block."
        )
    return (
        "every task ran on the pool, as a child of the span that submitted it, and work "
        "submitted outside any span stayed a root."
    )


def check_run_in_pool(run_in_pool) -> None:
    """``run_in_pool(pool, work, items)``: work(item) for each item on the pool, in order,
    each in the caller's context."""
    run_check(_check_pool, run_in_pool)
