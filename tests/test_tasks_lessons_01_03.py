"""The "your turn" checks of lessons 01-03 (coursekit/tasks): for each task the placeholder
fails with its hint, wrong answers fail with their own hints, and right answers in
different styles pass. Each check runs on data it makes itself (a fresh shop, a pool, the
SDK reading variables), so these tests run the real thing."""

from __future__ import annotations

import contextvars
import re

import pytest
from opentelemetry import context, propagate, trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from task_checks import assert_hint, assert_passes

from coursekit.tasks import lesson01, lesson02, lesson03
from coursekit.tasks.predict import predict, reveal
from services import otel_settings


# --- lesson 01: which checkouts failed --------------------------------------------------------
def failed_placeholder(traces): ...


def failed_root(traces):
    return {trace_id for trace_id, spans in traces.items() if spans[0].is_error}


def failed_parentless(traces):  # another style: find the root by its missing parent
    failed = set()
    for spans in traces.values():
        root = next(s for s in spans if s.parent_id is None)
        if root.status == "ERROR":
            failed.add(root.trace_id)
    return failed


@pytest.mark.parametrize(
    "answer, hint",
    [
        (failed_placeholder, "returned None"),
        (
            lambda traces: {t for t, s in traces.items() if any(x.is_error for x in s)},
            "payment retried the charge",
        ),
        (
            lambda traces: {t for t, s in traces.items() if any(x.exception for x in s)},
            "payment retried the charge",
        ),
        (lambda traces: [s[0] for s in traces.values() if s[0].is_error], "not spans"),
        (lambda traces: {"7f150524a5c1d7d9c7e8a3f1b2c4d6e8"}, "not trace ids of these traces"),
        (lambda traces: {next(t for t, s in traces.items() if s[0].is_error)}, "you found 1 of"),
        (lambda traces: next(t for t, s in traces.items() if s[0].is_error), "return a set"),
    ],
    ids=["placeholder", "any-error", "any-exception", "spans", "copied-ids", "first-only", "str"],
)
def test_failed_checkouts_wrong_answers(answer, hint, capsys):
    assert_hint(lesson01.check_failed_checkouts, answer, hint, capsys)


@pytest.mark.parametrize("answer", [failed_root, failed_parentless])
def test_failed_checkouts_right_answers(answer, capsys):
    assert_passes(lesson01.check_failed_checkouts, answer, capsys)


# --- lesson 01: one customer's story ----------------------------------------------------------
def story_placeholder(logs, customer): ...


def story_worked(logs, customer):
    clicked = next(line for line in logs["frontend"] if f"customer {customer} clicked" in line)
    trace_id = re.search(r"trace_id=(\w+)", clicked).group(1)
    return sorted(
        line for lines in logs.values() for line in lines if f"trace_id={trace_id}" in line
    )


def story_split(logs, customer):  # another style: split the fields, merge with a key
    trace_id = None
    for line in logs["frontend"]:
        words = line.split()
        if words[-5:-3] == ["customer", customer] or (
            "customer" in words and words[words.index("customer") + 1] == customer
        ):
            trace_id = next(w for w in words if w.startswith("trace_id="))
            break
    picked = [line for lines in logs.values() for line in lines if trace_id in line.split()]
    return sorted(picked, key=lambda line: line[:12])


def story_by_customer(logs, customer):
    return [line for lines in logs.values() for line in lines if customer in line]


def story_frontend_only(logs, customer):
    return [
        line
        for line in logs["frontend"]
        if f"customer {customer} " in line or f"customer {customer}:" in line
    ]


def story_unsorted(logs, customer):
    return list(reversed(story_worked(logs, customer)))


def story_errors(logs, customer):  # every ERROR line, whoever's they are
    return sorted(
        set(story_worked(logs, customer))
        | {line for lines in logs.values() for line in lines if " ERROR " in line}
    )


@pytest.mark.parametrize(
    "answer, hint",
    [
        (story_placeholder, "returned None"),
        (story_by_customer, "lines of another customer"),
        (story_frontend_only, "only frontend's lines"),
        (story_unsorted, "not in time order"),
        (story_errors, "belong to other checkouts"),
        (lambda logs, customer: "\n".join(story_worked(logs, customer)), "returned a str"),
        (lambda logs, customer: story_worked(logs, customer)[1:], "lines are missing"),
    ],
    ids=["placeholder", "by-customer", "frontend-only", "unsorted", "errors", "str", "missing"],
)
def test_customer_story_wrong_answers(answer, hint, capsys):
    assert_hint(lesson01.check_customer_story, answer, hint, capsys)


@pytest.mark.parametrize("answer", [story_worked, story_split])
def test_customer_story_right_answers(answer, capsys):
    assert_passes(lesson01.check_customer_story, answer, capsys)


# --- lesson 02: write a traceparent ------------------------------------------------------------
def header_worked(trace_id, span_id, sampled):
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"


def header_via_propagator(trace_id, span_id, sampled):  # another style: let the SDK write it
    span = NonRecordingSpan(SpanContext(trace_id, span_id, True, TraceFlags(int(sampled))))
    carrier = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier["traceparent"]


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda t, s, sampled: None, "returned None"),
        (lambda t, s, sampled: f"00-{t:x}-{s:x}-01", "it must have 32"),
        (lambda t, s, sampled: f"00-{t:032x}-{s:016x}-01", "flags are 01 when sampled"),
        (lambda t, s, sampled: f"00-{t:032X}-{s:016X}-01", "not lowercase hex"),
        (lambda t, s, sampled: f"00-{s:032x}-{t:016x}-01", "it must have 16"),
        (lambda t, s, sampled: hex(t), "a traceparent has 4"),
        (
            lambda t, s, sampled: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "write the trace id you were given",
        ),
        (lambda t, s, sampled: SpanContext(t, s, True), "return the header as a str"),
    ],
    ids=[
        "placeholder",
        "no-padding",
        "always-sampled",
        "upper",
        "swapped",
        "hex",
        "copied",
        "object",
    ],
)
def test_traceparent_wrong_answers(answer, hint, capsys):
    assert_hint(lesson02.check_traceparent, answer, hint, capsys)


@pytest.mark.parametrize("answer", [header_worked, header_via_propagator])
def test_traceparent_right_answers(answer, capsys):
    assert_passes(lesson02.check_traceparent, answer, capsys)


# --- lesson 02: the context across a pool ------------------------------------------------------
def pool_placeholder(pool, work, items):
    return list(pool.map(work, items))


def pool_worked(pool, work, items):
    futures = [pool.submit(contextvars.copy_context().run, work, item) for item in items]
    return [future.result() for future in futures]


def pool_attach(pool, work, items):  # another style: OpenTelemetry's context API
    captured = context.get_current()

    def in_context(item):
        token = context.attach(captured)
        try:
            return work(item)
        finally:
            context.detach(token)

    return list(pool.map(in_context, items))


def pool_no_detach(pool, work, items):
    captured = context.get_current()

    def in_context(item):
        context.attach(captured)
        return work(item)

    return list(pool.map(in_context, items))


def pool_one_copy(pool, work, items):
    copy = contextvars.copy_context()
    return list(pool.map(lambda item: copy.run(work, item), items))


def pool_serial(pool, work, items):  # right parents, but no pool: a cheat
    return [work(item) for item in items]


_first_context = []


def pool_first_context(pool, work, items):  # the context of the first call, kept forever
    if not _first_context:
        _first_context.append(context.get_current())
    return list(pool.map(lambda item: context.attach(_first_context[0]) and work(item), items))


@pytest.mark.parametrize(
    "answer, hint",
    [
        (pool_placeholder, "have no parent"),
        (pool_no_detach, "detach the token"),
        (pool_one_copy, "make a copy per item"),
        (pool_serial, "ran in the calling thread"),
        (pool_first_context, "captured once"),
        (lambda pool, work, items: [pool.submit(work, i) for i in items], "return work(item)"),
    ],
    ids=["placeholder", "no-detach", "one-copy", "serial", "first-context", "futures"],
)
def test_run_in_pool_wrong_answers(answer, hint, capsys):
    _first_context.clear()
    assert_hint(lesson02.check_run_in_pool, answer, hint, capsys)


@pytest.mark.parametrize("answer", [pool_worked, pool_attach])
def test_run_in_pool_right_answers(answer, capsys):
    assert_passes(lesson02.check_run_in_pool, answer, capsys)


# --- lesson 03: swap the exporter --------------------------------------------------------------
def exporter_from_environment(url):  # another style: the standard variable, read by the exporter
    with otel_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": url}):
        return OTLPSpanExporter()


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda url: None, "returned None"),
        (lambda url: OTLPSpanExporter(endpoint=url), "used exactly as given"),
        (lambda url: OTLPSpanExporter(endpoint=f"{url}/v1/trace"), "used exactly as given"),
        (lambda url: GrpcExporter(endpoint=url, insecure=True), "OTLP/gRPC exporter"),
        (lambda url: InMemorySpanExporter(), "keeps the spans in this process"),
        (lambda url: OTLPSpanExporter, "return an instance"),
        (lambda url: url + "/v1/traces", "return a span exporter"),
    ],
    ids=["placeholder", "base-url", "typo", "grpc", "memory", "class", "str"],
)
def test_exporter_wrong_answers(answer, hint, capsys):
    assert_hint(lesson03.check_exporter, answer, hint, capsys)


def test_exporter_to_a_fixed_address_is_told_nothing_answers(capsys):
    # 127.0.0.1:9 (discard) refuses at once; the exporter keeps retrying: the probe gives up.
    answer = lambda url: OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces")  # noqa: E731
    assert_hint(lesson03.check_exporter, answer, "nothing answers where it sends", capsys)


@pytest.mark.parametrize(
    "answer",
    [lambda url: OTLPSpanExporter(endpoint=f"{url}/v1/traces"), exporter_from_environment],
    ids=["endpoint", "environment"],
)
def test_exporter_right_answers(answer, capsys):
    assert_passes(lesson03.check_exporter, answer, capsys)


# --- lesson 03: name the release -----------------------------------------------------------------
ENV = "deployment.environment.name=workshop"


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda s, v: None, "returned None"),
        (
            lambda s, v: {"OTEL_SERVICE_NAME": s, "OTEL_SERVICE_VERSION": v},
            "no OTEL_SERVICE_VERSION",
        ),
        (
            lambda s, v: {
                "OTEL_SERVICE_NAME": s,
                "OTEL_RESOURCE_ATTRIBUTES": f"service.version={v};{ENV}",
            },
            "separate attributes with commas",
        ),
        (
            lambda s, v: {
                "OTEL_SERVICE_NAME": s,
                "OTEL_RESOURCE_ATTRIBUTES": f"app.release={v},{ENV}",
            },
            "name a release service.version",
        ),
        (
            lambda s, v: {"OTEL_RESOURCE_ATTRIBUTES": f"service.version={v},{ENV}"},
            "service.name came out as",
        ),
        (
            lambda s, v: {
                "OTEL_SERVICE_NAME": s,
                "OTEL_RESOURCE_ATTRIBUTES": f"service.version={v},deployment.environment=workshop",
            },
            "old name",
        ),
        (
            lambda s, v: {
                "OTEL_SERVICE_NAME": s,
                "OTEL_RESOURCE_ATTRIBUTES": f"service.version={v}",
            },
            "lacks deployment.environment.name",
        ),
        (
            lambda s, v: {
                "OTEL_SERVICE_NAME": "invoice-worker",
                "OTEL_RESOURCE_ATTRIBUTES": f"service.version=2.4.1,{ENV}",
            },
            "for checkout 2026.12.0-rc.1, service.name came out as",
        ),
        (
            lambda s, v: {
                "OTEL_SERVICE_NAME": s,
                "OTEL_RESOURCE_ATTRIBUTES": {"service.version": v},
            },
            "is not set to a str",
        ),
    ],
    ids=[
        "placeholder",
        "no-such-variable",
        "semicolons",
        "app-release",
        "no-name",
        "old-env",
        "no-env",
        "hard-coded",
        "not-str",
    ],
)
def test_release_settings_wrong_answers(answer, hint, capsys):
    assert_hint(lesson03.check_release_settings, answer, hint, capsys)


@pytest.mark.parametrize(
    "answer",
    [
        lambda s, v: {
            "OTEL_SERVICE_NAME": s,
            "OTEL_RESOURCE_ATTRIBUTES": f"service.version={v},{ENV}",
        },
        lambda s, v: {"OTEL_RESOURCE_ATTRIBUTES": f"service.name={s}, service.version={v}, {ENV}"},
    ],
    ids=["service-name-variable", "all-in-attributes"],
)
def test_release_settings_right_answers(answer, capsys):
    assert_passes(lesson03.check_release_settings, answer, capsys)


# --- predict, then run ----------------------------------------------------------------------------
def test_reveal_with_and_without_a_pick(capsys):
    question = predict("How many traces?", [1, 2, 3])
    reveal(question, 3, "Why.")
    assert capsys.readouterr().out == "Measured: 3. (No prediction picked above.)\nWhy.\n"
    question.value = 1
    reveal(question, 3, "Why.")
    assert "You predicted 1. Measured: 3. Not this time." in capsys.readouterr().out
    question.value = 3
    reveal(question, 3, "Why.")
    assert "Right." in capsys.readouterr().out
    bundle = question._repr_mimebundle_()
    assert "How many traces?" in bundle["text/plain"] and "<li>2</li>" in bundle["text/html"]


def test_picking_in_the_widget_is_what_reveal_compares(capsys):
    question = predict("How many traces?", [1, 2, 3])
    box = question.widget()
    choice = box.children[1]
    choice.value = 2  # the learner picks the third option
    reveal(question, 3, "Why.")
    assert "You predicted 3. Measured: 3. Right." in capsys.readouterr().out
