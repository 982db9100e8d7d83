"""Exercise 02: carry the trace context across a queue, as the messaging conventions say.

The learner writes ``send(tracer, queue, order)``, run inside a request, and
``receive(tracer, queue, message, handle)``, run by a worker thread that starts with an
empty context. A message crosses the queue as JSON, as it would cross a broker.

Each half is graded on its own, on orders and a queue name the check makes up (seeded):
``send``'s messages are read with the W3C propagator (the SDK's, not the learner's), and
``receive`` gets messages the check produced itself, shuffled, some with no or a broken
``traceparent``. A side channel between the two functions (a global list, a dict keyed by
order) therefore cannot pass. Then both run end to end.
"""

from __future__ import annotations

import contextvars
import json
import queue as queues
import random
import threading

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ..spans import SpanRecord
from .harness import NotYet, Recording, call_learner_code, learner_api, require_function
from .report import run_check

#: Names of the producer's operation the conventions allow ({operation} {destination}).
SEND_OPERATIONS = ("send", "publish")
W3C = TraceContextTextMapPropagator()  # the SDK's W3C parser: a check never parses by hand


class Destination:
    """A named queue whose messages cross as JSON (what a broker carries is bytes)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queues.Queue = queues.Queue()

    @learner_api
    def put(self, message) -> None:
        try:
            self._queue.put(json.dumps(message))
        except (TypeError, ValueError) as error:
            raise NotYet(
                f"a message could not travel: {error}. A broker carries bytes, so a message "
                "is plain data, its headers strings (a live span or context object cannot "
                "cross)."
            ) from None

    def drain(self) -> list:
        out = []
        while not self._queue.empty():
            out.append(json.loads(self._queue.get_nowait()))
        return out

    @learner_api
    def __repr__(self) -> str:
        return f"<Destination {self.name!r}>"


def make_orders(seeded: random.Random, count: int) -> list[dict]:
    return [
        {"order_id": f"ord-{seeded.randrange(16**6):06x}", "items": seeded.randint(1, 9)}
        for _ in range(count)
    ]


def _carried(headers) -> trace.SpanContext:
    return trace.get_current_span(W3C.extract(headers)).get_span_context()


# ---------------------------------------------------------------------------- send


def _check_send(send, seeded: random.Random) -> None:
    destination = Destination(seeded.choice(("orders-eu", "restock", "refunds")))
    orders = make_orders(seeded, seeded.randint(3, 6))
    with Recording("checkout", "exercise-02") as recording:
        with recording.tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER):
            for order in orders:
                call_learner_code(send, recording.tracer, destination, dict(order), name="send")
        spans = recording.records()
    messages = destination.drain()
    request = next(s for s in spans if s.name == "POST /orders")
    if len(messages) != len(orders):
        raise NotYet(
            f"send put {len(messages)} messages on the queue for {len(orders)} orders: one "
            "message per order."
        )
    for message in messages:
        if not isinstance(message, dict) or set(message) != {"headers", "body"}:
            raise NotYet(
                f"a message is {message!r}: send {{'headers': {{...}}, 'body': order}}, so "
                "the trace context travels in headers, apart from the order."
            )
        headers = message["headers"]
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise NotYet(f"the headers {headers!r} should map strings to strings.")
    if [m["body"] for m in messages] != orders:
        raise NotYet(
            "the bodies on the queue are not the orders sent, one by one in the order they "
            "were sent: the body is the order itself, unchanged."
        )
    producers = [s for s in spans if s.kind == "producer"]
    if len(producers) != len(orders):
        raise NotYet(
            f"send made {len(producers)} finished PRODUCER spans for {len(orders)} messages: "
            "one span of kind PRODUCER per message sent, ended when it is sent, made with "
            "the tracer send is given."
        )
    if any(p.parent_id != request.span_id for p in producers):
        raise NotYet("a PRODUCER span is not a child of the request that sent it.")
    allowed = {f"{op} {destination.name}" for op in SEND_OPERATIONS}
    wrong = sorted({p.name for p in producers} - allowed)
    if wrong:
        raise NotYet(
            f"the PRODUCER spans are named {wrong}; the messaging conventions name them "
            f"'{{operation}} {{destination}}', here 'send {destination.name}' (the queue's "
            "name is queue.name)."
        )
    by_id = {p.span_id: p for p in producers}
    for message, producer in zip(messages, producers, strict=True):
        carried = _carried(message["headers"])
        if not carried.is_valid:
            raise NotYet(
                "a message carries no trace context the W3C format can read: inject the "
                "context into the message's headers (a traceparent header)."
            )
        span_id = trace.format_span_id(carried.span_id)
        if span_id == request.span_id:
            raise NotYet(
                "the messages carry the request span's context, not their PRODUCER span's: "
                "inject while the producer span is the current one."
            )
        if span_id not in by_id:
            if span_id in {s.span_id for s in spans}:
                raise NotYet(
                    "a message carries the context of a span inside its PRODUCER span: the "
                    "creation context is the PRODUCER span's own."
                )
            raise NotYet("a message carries the context of a span the check never saw end.")
        if span_id != producer.span_id:
            raise NotYet("a message carries the context of another message's PRODUCER span.")
        if trace.format_trace_id(carried.trace_id) != producer.trace_id:
            raise NotYet("a message carries its PRODUCER span's id, but in another trace id.")
        if not carried.trace_flags.sampled:
            raise NotYet(
                "a message says its trace was not sampled, though it was: a consumer that "
                "follows the sampled flag would drop it. Let the propagator write the flags."
            )


# ---------------------------------------------------------------------------- receive


def _check_receive(receive, seeded: random.Random) -> None:
    destination = Destination(seeded.choice(("orders-us", "returns", "invoices")))
    orders = make_orders(seeded, seeded.randint(4, 7))
    sent = []  # (message, producer span record or None)
    with Recording("checkout", "sender") as sender:
        for order in orders:
            with sender.tracer.start_as_current_span(f"send {destination.name}",
                                                     kind=SpanKind.PRODUCER):  # fmt: skip
                headers: dict[str, str] = {}
                W3C.inject(headers)
                sent.append({"headers": headers, "body": order})
        producers = sender.records()
    # A message from a producer nobody instrumented, and one with a broken traceparent.
    for headers in ({}, {"traceparent": "00-not-a-trace-01"}):
        sent.append({"headers": headers, "body": make_orders(seeded, 1)[0]})
    producer_of = {
        json.dumps(m["body"], sort_keys=True): p
        for m, p in zip(sent, producers, strict=False)  # the last two have no producer
    }
    order = list(range(len(sent)))
    seeded.shuffle(order)

    handled: list[tuple[dict, trace.SpanContext]] = []

    @learner_api
    def handle(body) -> None:
        handled.append((body, trace.get_current_span().get_span_context()))

    worker_context = contextvars.Context()  # a worker thread starts with an empty context
    with Recording("worker", "exercise-02") as recording:
        for index in order:
            message = json.loads(json.dumps(sent[index]))
            before = len(handled)
            call_learner_code(receive, recording.tracer, destination, message, handle,
                              name="receive", context=worker_context)  # fmt: skip
            if len(handled) != before + 1:
                raise NotYet(
                    f"receive called handle {len(handled) - before} times for one message: "
                    "call handle(order) once, with the message's body, inside the consumer "
                    "span."
                )
            if worker_context.run(trace.get_current_span).get_span_context().is_valid:
                raise NotYet(
                    "receive left a context attached to the worker thread, so the next "
                    "message would start under it: pass the context as an argument, or "
                    "detach() the token before returning."
                )
        consumers = recording.records()
    bodies = {json.dumps(b, sort_keys=True) for b, _ in handled}
    if bodies != {json.dumps(m["body"], sort_keys=True) for m in sent}:
        raise NotYet("handle did not get each message's body: pass it message['body'].")
    every = {c.span_id: c for c in consumers}
    consumers = [c for c in consumers if c.kind == "consumer"]
    if len(consumers) != len(sent):
        raise NotYet(
            f"receive made {len(consumers)} CONSUMER spans for {len(sent)} messages: one "
            "CONSUMER span per message, even one with no trace context, made with the "
            "tracer receive is given."
        )
    wrong = sorted({c.name for c in consumers} - {f"process {destination.name}"})
    if wrong:
        raise NotYet(
            f"the CONSUMER spans are named {wrong}; the messaging conventions name them "
            f"'{{operation}} {{destination}}', here 'process {destination.name}'."
        )
    for body, current in handled:
        consumer = every.get(trace.format_span_id(current.span_id)) if current.is_valid else None
        while consumer is not None and consumer.kind != "consumer":  # a span inside it
            consumer = every.get(consumer.parent_id)
        if consumer is None:
            raise NotYet("handle ran outside the CONSUMER span: call it inside the span.")
        producer = producer_of.get(json.dumps(body, sort_keys=True))
        _check_connection(consumer, producer)


class NotConnected(NotYet):
    """A consumer span not connected to its producer span."""


def _check_connection(consumer: SpanRecord, producer: SpanRecord | None) -> None:
    """A consumer span links to its message's producer span, or is its child, or both."""
    if producer is None:  # the message carried no usable context
        # A link to the invalid context extract() gives is noise, not a connection: allowed.
        valid_links = [link for link in consumer.links if int(link[1], 16)]
        if consumer.parent_id is not None or valid_links:
            raise NotYet(
                "a message with no (or a broken) traceparent got a CONSUMER span with a "
                "parent or a link: with nothing to continue, start a new trace."
            )
        return
    linked = (producer.trace_id, producer.span_id) in consumer.links
    parented = consumer.trace_id == producer.trace_id and consumer.parent_id == producer.span_id
    if linked or parented:
        return
    if any(span_id == producer.span_id for _, span_id in consumer.links) or (
        consumer.parent_id == producer.span_id
    ):
        raise NotYet("a CONSUMER span points at its producer span's id in another trace.")
    if consumer.trace_id == producer.trace_id:
        raise NotYet(
            "a CONSUMER span is in its producer's trace but neither linked to the producer "
            "span nor its child."
        )
    raise NotConnected(
        "a CONSUMER span is not connected to the span that sent its message: read the "
        "context from the message's headers, and link to it (the messaging conventions), "
        "make it the parent, or both."
    )


# ---------------------------------------------------------------------------- end to end


@learner_api
def _ignore(order) -> None:
    """The work for an order, in a demo run: none."""


def run_queue_hop(send, receive, orders=None, destination="orders") -> list[SpanRecord]:
    """The demo: inside a "POST /orders" span, ``send`` each order to a queue; a worker
    thread with an empty context takes each message off it and calls ``receive``. Returns
    the spans; what the functions print shows. A problem is one line, and no spans."""
    try:
        return _hop(send, receive, orders, destination, quiet=False)
    except NotYet as problem:
        print(f"the hop stopped: {problem}")
        return []


def _hop(send, receive, orders=None, destination="orders", shuffle=None, handle=None,
         quiet=True):  # fmt: skip
    """Inside a "POST /orders" span, ``send`` each order to a queue; a worker thread with
    an empty context takes each message off it (in the order ``shuffle`` leaves them) and
    calls ``receive``. Returns the spans. What the functions print shows, unless ``quiet``."""
    orders = orders if orders is not None else make_orders(random.Random(2), 3)
    queue = Destination(destination)
    with Recording("checkout", "exercise-02") as recording:
        with recording.tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER):
            for order in orders:
                call_learner_code(send, recording.tracer, queue, order, name="send", quiet=quiet)
        messages = queue.drain()
        if shuffle is not None:
            shuffle(messages)
        problems: list[NotYet] = []

        def worker() -> None:
            context = contextvars.Context()
            for message in messages:
                try:
                    call_learner_code(receive, recording.tracer, queue, message,
                                      handle or _ignore, name="receive",
                                      context=context, quiet=quiet)  # fmt: skip
                except NotYet as problem:
                    problems.append(problem)
                    return

        thread = threading.Thread(target=worker, name="queue-worker", daemon=True)
        thread.start()
        thread.join()
        if problems:
            raise problems[0]
        return recording.records()


def _end_to_end(send, receive, seeded: random.Random) -> bool:
    """Both ends together, messages shuffled: is each consumer span connected to the
    producer span of its own message?"""
    orders = make_orders(seeded, 4)
    handled: list[tuple[dict, str]] = []

    @learner_api
    def handle(body) -> None:
        span_id = trace.get_current_span().get_span_context().span_id
        handled.append((body, trace.format_span_id(span_id)))

    spans = _hop(send, receive, orders, "orders-eu", seeded.shuffle, handle)
    producers = [s for s in spans if s.kind == "producer"]  # in the order sent
    by_id = {s.span_id: s for s in spans}
    if len(producers) != len(orders) or len(handled) != len(orders):
        return False
    for body, span_id in handled:
        consumer = by_id.get(span_id)
        while consumer is not None and consumer.kind != "consumer":  # a span inside it
            consumer = by_id.get(consumer.parent_id)
        if consumer is None or body not in orders:
            return False
        producer = producers[orders.index(body)]
        if producer.span_id not in {sid for _, sid in consumer.links} | {consumer.parent_id}:
            return False
    return True


def _check(send, receive) -> str:
    require_function(send, "send", "tracer, queue, order")
    require_function(receive, "receive", "tracer, queue, message, handle")
    seeded = random.Random(20261130)
    _check_send(send, seeded)
    try:
        _check_receive(receive, seeded)
    except NotYet as problem:
        if isinstance(problem, NotConnected) and _end_to_end(send, receive, seeded):
            raise NotYet(
                "receive connects its spans only to messages your own send made, not to "
                "messages the check sent: it must read the creation context from the "
                "message's headers alone, not from state that send left behind."
            ) from None
        raise
    if not _end_to_end(send, receive, seeded):
        raise NotYet(
            "end to end, with the messages delivered out of order, a CONSUMER span is not "
            "connected to the producer span of its own message."
        )
    return (
        "send and receive carry the context across the queue: each consumer span is "
        "connected to the span that sent its message."
    )


def check_queue_hop(send, receive) -> None:
    """Grade ``send(tracer, queue, order)`` and ``receive(tracer, queue, message, handle)``."""
    run_check(_check, send, receive)
