"""Exercise 02: carry the trace context by hand across a hop no instrumentation knows.

The hop is a ``queue.Queue`` between two threads: ``send`` runs in the request's thread,
``receive`` in a worker thread that starts with an empty context. Graded on the spans:
one trace, each consumer span the child of its producer span, the right span kinds.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ..spans import SpanRecord, records
from .report import NotYet, call_learner_code, run_check

ORDERS = ("ord-0001", "ord-0002", "ord-0003")


@dataclass
class HopRun:
    """What one run of the hop produced: its spans, and what the worker saw."""

    spans: list[SpanRecord] = field(default_factory=list)
    messages: list = field(default_factory=list)
    context_left_attached: bool = False
    queue_ran_dry: bool = False


def _run(send, receive, orders=ORDERS) -> HopRun:
    """Inside a "POST /orders" span, ``send`` each order onto a queue; a worker thread
    takes each message off it and calls ``receive``. The learner's exceptions reach the
    caller as NotYet hints."""
    run = HopRun()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("exercise-02")
    messages: queue.Queue = queue.Queue()
    problems: list[NotYet] = []

    def worker():
        for _ in orders:
            try:
                message = messages.get(timeout=1)
            except queue.Empty:
                run.queue_ran_dry = True
                return
            run.messages.append(message)
            try:
                call_learner_code(receive, tracer, message, name="receive")
            except NotYet as problem:  # reported by the caller, in the caller's thread
                problems.append(problem)
                return
            # Whatever receive attached must be detached again by the time it returns.
            if trace.get_current_span().get_span_context().is_valid:
                run.context_left_attached = True

    try:
        with tracer.start_as_current_span("POST /orders"):
            for order in orders:
                call_learner_code(send, tracer, messages, {"order_id": order}, name="send")
        thread = threading.Thread(target=worker, name="queue-worker", daemon=True)
        thread.start()
        thread.join(timeout=10)
    finally:
        provider.shutdown()
    if problems:
        raise problems[0]
    run.spans = records(exporter.get_finished_spans())
    return run


def run_queue_hop(send, receive, orders=ORDERS) -> list[SpanRecord]:
    """Run the hop with ``send`` and ``receive``; return the finished spans."""
    return _run(send, receive, orders).spans


def _check(send, receive) -> str:
    for function, name in ((send, "send"), (receive, "receive")):
        if not callable(function):
            raise NotYet(f"{name} is not a function: define it with def {name}(...): ...")
    run = _run(send, receive)
    if run.queue_ran_dry:
        raise NotYet(
            "the worker found no message on the queue: send must put one message per "
            "order on it, e.g. queue.put({'headers': headers, 'body': order})"
        )
    spans = run.spans
    for message in run.messages:
        if not isinstance(message, dict) or set(message) != {"headers", "body"}:
            raise NotYet(
                f"a message on the queue is {message!r}: put {{'headers': headers, 'body': "
                "order}, so the context travels in the headers, apart from the order."
            )
    request = next(s for s in spans if s.name == "POST /orders")
    producers = [s for s in spans if s.kind == "producer"]
    consumers = [s for s in spans if s.kind == "consumer"]
    if len(producers) != len(ORDERS):
        raise NotYet(
            f"send made {len(producers)} finished PRODUCER spans for {len(ORDERS)} orders: start "
            "and end one span per message, with tracer.start_as_current_span('send order', "
            "kind=SpanKind.PRODUCER) in a with block (which also ends it)."
        )
    if any(p.parent_id != request.span_id for p in producers):
        raise NotYet("a PRODUCER span is not a child of the request span: start it in send.")
    if len(consumers) != len(ORDERS):
        raise NotYet(
            f"receive made {len(consumers)} finished CONSUMER spans for {len(ORDERS)} messages: "
            "start and end one span per message, with tracer.start_as_current_span("
            "'process order', kind=SpanKind.CONSUMER, context=...) in a with block."
        )
    names = {s.name for s in producers} | {s.name for s in consumers}
    if names != {"send order", "process order"}:
        raise NotYet(
            f"the spans are named {sorted(names)}: name them 'send order' (PRODUCER) and "
            "'process order' (CONSUMER), so a trace reads as what happened."
        )
    if any(c.trace_id != request.trace_id for c in consumers):
        raise NotYet(
            "the CONSUMER spans started new traces: in receive, extract the context from the "
            "message's headers and pass it to start_as_current_span(..., context=...). In send, "
            "inject() the current context into the headers."
        )
    producer_ids = {p.span_id for p in producers}
    if any(c.parent_id == request.span_id for c in consumers):
        raise NotYet(
            "a CONSUMER span's parent is the request span, not its PRODUCER span: inject the "
            "context inside the producer span, so the message carries that span's id."
        )
    if {c.parent_id for c in consumers} != producer_ids:
        raise NotYet("each CONSUMER span should be the child of the PRODUCER span of its message.")
    if run.context_left_attached:
        raise NotYet(
            "receive left the extracted context attached to the worker thread, so the next "
            "message would start under it: pass context= to start_as_current_span instead of "
            "attach(), or detach() the token before returning."
        )
    return "the queue hop carries the trace: one trace, each consumer under its producer."


def check_queue_hop(send, receive) -> None:
    """Grade ``send(tracer, queue, order)`` and ``receive(tracer, message)``."""
    run_check(_check, send, receive)
