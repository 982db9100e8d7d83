"""Exercise 02 (carry the context across a queue): its catalogue of answers."""

from __future__ import annotations

import pytest

from coursekit.checks import ex02
from tests.graders.catalogue import assert_catalogue, grade, learner

PRELUDE = """
from opentelemetry import context, trace
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import Link, SpanKind
"""

SEND = """
def send(tracer, queue, order):
    with tracer.start_as_current_span(f"send {queue.name}", kind=SpanKind.PRODUCER):
        headers = {}
        inject(headers)
        queue.put({"headers": headers, "body": order})
"""
RECEIVE = """
def receive(tracer, queue, message, handle):
    creation = trace.get_current_span(extract(message["headers"])).get_span_context()
    links = [Link(creation)] if creation.is_valid else []
    with tracer.start_as_current_span(f"process {queue.name}", kind=SpanKind.CONSUMER,
                                      links=links):
        handle(message["body"])
"""


def answer(source: str):
    return learner(source, "send", "receive", prelude=PRELUDE)


RIGHT = {
    "the solution: link, new trace": SEND + RECEIVE,
    "the consumer as the producer's child": SEND
    + """
def receive(tracer, queue, message, handle):
    with tracer.start_as_current_span(f"process {queue.name}", kind=SpanKind.CONSUMER,
                                      context=extract(message["headers"])):
        handle(message["body"])
""",
    "parent and link, start_span and use_span, publish": """
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
W3C = TraceContextTextMapPropagator()

def send(tracer, queue, order):
    span = tracer.start_span("publish " + queue.name, kind=SpanKind.PRODUCER)
    with trace.use_span(span, end_on_exit=True):
        carrier = {}
        W3C.inject(carrier)
    queue.put(dict(headers=carrier, body=order))

def receive(tracer, queue, message, handle):
    parent = W3C.extract(message.get("headers", {}))
    sent_by = trace.get_current_span(parent).get_span_context()
    span = tracer.start_span("process %s" % queue.name, context=parent,
                             kind=SpanKind.CONSUMER,
                             links=[Link(sent_by)] if sent_by.is_valid else None)
    try:
        with trace.use_span(span):
            handle(message["body"])
    finally:
        span.end()
""",
    "the work in a span of its own, inside the consumer span": SEND
    + """
def receive(tracer, queue, message, handle):
    sent_by = trace.get_current_span(extract(message["headers"])).get_span_context()
    with tracer.start_as_current_span("process " + queue.name, kind=SpanKind.CONSUMER,
                                      links=[Link(sent_by)] if sent_by.is_valid else ()):
        with tracer.start_as_current_span("fulfil order"):
            handle(message["body"])
""",
    "a link always, even to the empty context of a message without one": SEND
    + RECEIVE.replace(" if creation.is_valid else []", ""),
    "send without making the producer span current": """
def send(tracer, queue, order):
    span = tracer.start_span("send " + queue.name, kind=SpanKind.PRODUCER)
    headers = {}
    inject(headers, context=trace.set_span_in_context(span))
    queue.put({"headers": headers, "body": order})
    span.end()
"""
    + RECEIVE,
    "attach and detach by hand": SEND
    + """
def receive(tracer, queue, message, handle):
    token = context.attach(extract(message["headers"]))
    try:
        with tracer.start_as_current_span("process " + queue.name, kind=SpanKind.CONSUMER):
            handle(message["body"])
    finally:
        context.detach(token)
""",
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = grade(ex02._check, *answer(RIGHT[name]))
    assert outcome.passed, outcome.message


def receive_with(body: str) -> str:
    return SEND + "\ndef receive(tracer, queue, message, handle):\n" + body


WRONG = {
    "unsolved": ("def send(tracer, queue, order):\n    ...\n"
                 "def receive(tracer, queue, message, handle):\n    ...",
                 "send put 0 messages on the queue"),
    "no context in the message": (SEND.replace("inject(headers)", "pass") + RECEIVE,
                                  "carries no trace context the W3C format can read"),
    "a live span where a header belongs": (
        SEND.replace("inject(headers)", 'headers["span"] = trace.get_current_span()') + RECEIVE,
        "a message could not travel"),
    "the order lost on the way": (
        SEND.replace('"body": order', '"body": order["order_id"]') + RECEIVE,
        "the body is the order itself"),
    "inject outside the producer span": (
        SEND.replace("        headers = {}\n        inject(headers)\n", "        pass\n")
            .replace("def send(tracer, queue, order):\n",
                     "def send(tracer, queue, order):\n    headers = {}\n    inject(headers)\n")
        + RECEIVE, "carry the request span's context"),
    "wrong span kind": (SEND.replace("PRODUCER", "INTERNAL") + RECEIVE,
                        "one span of kind PRODUCER per message"),
    "names not after the destination": (SEND.replace('f"send {queue.name}"', '"send order"')
                                        + RECEIVE, "the PRODUCER spans are named ['send order']"),
    "consumer never reads the headers": (receive_with(
        '    with tracer.start_as_current_span(f"process {queue.name}", '
        'kind=SpanKind.CONSUMER):\n        handle(message["body"])'),
        "not connected to the span that sent its message"),
    "context attached and never detached": (receive_with(
        '    context.attach(extract(message["headers"]))\n'
        '    with tracer.start_as_current_span(f"process {queue.name}", '
        'kind=SpanKind.CONSUMER):\n        handle(message["body"])'),
        "left a context attached to the worker thread"),
    "traceparent parsed by hand": (receive_with(
        '    _, trace_id, span_id, _ = message["headers"]["traceparent"].split("-")\n'
        "    parent = trace.SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True)\n"
        "    with tracer.start_as_current_span(f'process {queue.name}', kind=SpanKind.CONSUMER,"
        "\n            links=[Link(parent)]):\n        handle(message['body'])"),
        "receive raised KeyError: 'traceparent'"),
    "handle outside the span": (RECEIVE.replace("        handle(message[\"body\"])", "        pass")
        .replace('def receive(tracer, queue, message, handle):\n',
                 'def receive(tracer, queue, message, handle):\n    handle(message["body"])\n')
        .join([SEND, ""]), "handle ran outside the CONSUMER span"),
    "handle never called": (SEND + RECEIVE.replace('handle(message["body"])', "pass"),
                            "receive called handle 0 times"),
    "a link even when there is nothing to link to": (
        SEND + RECEIVE.replace(" if creation.is_valid else []", "")
                      .replace("extract(message[\"headers\"])",
                               "extract(message['headers'] or {'traceparent': "
                               "'00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'})"),
        "with nothing to continue, start a new trace"),
    "the sampled flag lost": (SEND.replace(
        "        inject(headers)\n",
        "        inject(headers)\n"
        "        headers['traceparent'] = headers['traceparent'][:-2] + '00'\n") + RECEIVE,
        "says its trace was not sampled"),
    "the context of a span inside the producer span": (SEND.replace(
        "        headers = {}\n        inject(headers)\n",
        "        headers = {}\n        with tracer.start_as_current_span('serialize'):\n"
        "            inject(headers)\n") + RECEIVE, "a span inside its PRODUCER span"),
    "a tracer of its own, not the one given": (SEND + RECEIVE.replace(
        "with tracer.start_as_current_span", "with trace.get_tracer('mine').start_as_current_span"),
        "made with the tracer receive is given"),
    # Cheats: right-looking output by the wrong means.
    "cheat: the queue name the exercise shows, hard-coded": (
        SEND + RECEIVE.replace('f"process {queue.name}"', '"process orders"'),
        "the CONSUMER spans are named ['process orders']"),
    "cheat: a traceparent copied from a run": (
        SEND.replace("inject(headers)", 'headers["traceparent"] = '
                     '"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"') + RECEIVE,
        "the context of a span the check never saw end"),
    "cheat: contexts handed over in a global dict": ("""
SENT = {}

def send(tracer, queue, order):
    with tracer.start_as_current_span(f"send {queue.name}", kind=SpanKind.PRODUCER) as span:
        headers = {}
        inject(headers)
        SENT[order["order_id"]] = span.get_span_context()
        queue.put({"headers": headers, "body": order})

def receive(tracer, queue, message, handle):
    sent_by = SENT.get(message["body"]["order_id"])
    with tracer.start_as_current_span(f"process {queue.name}", kind=SpanKind.CONSUMER,
                                      links=[Link(sent_by)] if sent_by else []):
        handle(message["body"])
""", "only to messages your own send made"),
    "cheat: contexts handed over in a global queue": ("""
import collections
SENT = collections.deque()

def send(tracer, queue, order):
    with tracer.start_as_current_span(f"send {queue.name}", kind=SpanKind.PRODUCER) as span:
        headers = {}
        inject(headers)
        SENT.append(span.get_span_context())
        queue.put({"headers": headers, "body": order})

def receive(tracer, queue, message, handle):
    sent_by = SENT.popleft()
    with tracer.start_as_current_span(f"process {queue.name}", kind=SpanKind.CONSUMER,
                                      links=[Link(sent_by)]):
        handle(message["body"])
""", "receive raised IndexError: pop from an empty deque"),
    "cheat: the check's receive half switched off": (SEND.replace("    with tracer", """\
    import coursekit.checks.ex02 as grader
    grader._check_receive = lambda *args: None
    with tracer""") + RECEIVE.replace("links=links", "links=[]"),
        "coursekit.checks.ex02._check_receive is not the course's own any more"),
    "cheat: prints the passed line and leaves": (SEND + """
def receive(tracer, queue, message, handle):
    print("✔ passed: send and receive carry the context across the queue")
    raise SystemExit
""", "receive raised SystemExit"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, lambda source: grade(ex02._check, *answer(source)))


def test_a_hang_is_a_hint_not_a_frozen_notebook(monkeypatch):
    monkeypatch.setattr("coursekit.checks.harness.TIMEOUT_S", 0.5)
    hangs = receive_with("    import queue as q\n    q.Queue().get()")
    outcome = grade(ex02._check, *answer(hangs))
    assert not outcome.passed and "did not return within" in outcome.message


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("02") == notebook_runs.stored_output("02")
    assert "✘ not yet: send put 0 messages" in notebook_runs.check_output("02", "exercise")


def test_the_demo_says_what_stopped_it_in_one_line(capsys):
    send, receive = answer(SEND.replace("inject(headers)", "1 / 0") + RECEIVE)
    assert ex02.run_queue_hop(send, receive) == []
    assert capsys.readouterr().out.startswith("the hop stopped: send raised ZeroDivisionError")
