"""Lesson 07's "your turn" checks: each wrong answer gets its own hint, right answers in
several styles pass, and the placeholders the lesson ships get a hint, not a pass."""

from __future__ import annotations

import contextvars

import pytest
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from task_checks import assert_hint, assert_passes

from coursekit.tasks import lesson07

# --- your turn 1: span names -----------------------------------------------------------
NAME_WRONG = [
    (lambda method, route, path: f"{method} {path}", "carries the path"),
    (lambda method, route, path: f"{method} {route}", "the f-string wrote it out"),
    (lambda method, route, path: f"{method} {route or path.split('?')[0]}", "the method alone"),
    (lambda method, route, path: method, "gave 'PATCH', not"),
    (lambda method, route, path: f"{method.lower()} {route}" if route else method.lower(),
     "in capitals"),
    (lambda method, route, path: None, "return the name, a str"),
    (lambda method, route, path: f"{method} {route}" if route else f"{method} unknown",
     "route is None when no route matched"),
    ("GET /orders/<order_id>", "must be a function"),
]  # fmt: skip
NAME_RIGHT = [
    lambda method, route, path: f"{method} {route}" if route else method,
    lambda method, route, path: " ".join(part for part in (method, route) if part),
    lambda method, route, path: method + (" " + route if route is not None else ""),
]


@pytest.mark.parametrize(("answer", "hint"), NAME_WRONG)
def test_span_name_wrong_answers_get_their_hint(answer, hint, capsys):
    assert_hint(lesson07.check_span_name, answer, hint, capsys)


@pytest.mark.parametrize("answer", NAME_RIGHT)
def test_span_name_right_answers_pass(answer, capsys):
    assert_passes(lesson07.check_span_name, answer, capsys)


# --- your turn 2: a job that carries the context ------------------------------------------
def inject(order):
    propagate.inject(order)
    return order


def extract(job):
    return propagate.extract(job)


def inject_by_hand(order):
    context = trace.get_current_span().get_span_context()
    return {**order, "traceparent": f"00-{context.trace_id:032x}-{context.span_id:016x}-01"}


def extract_explicit_carrier(job):
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract(carrier={"traceparent": job["traceparent"]})


def context_object(order):
    return {**order, "context": otel_context.get_current()}


def lost(order):
    return order


JOB_WRONG = [
    ((lost, extract), "carries no 'traceparent'"),
    ((context_object, extract), "does not survive JSON"),
    ((inject, lambda job: otel_context.get_current()), "not the worker's own context"),
    ((inject, lambda job: job["traceparent"]), "return an OpenTelemetry Context"),
    ((lambda order: {"traceparent": inject({})["traceparent"]}, extract), "lost the order's"),
    ((inject, lambda job: propagate.extract({})), "has no parent"),
    (("job", extract), "must be a function"),
]
JOB_RIGHT = [
    (inject, extract),
    (inject_by_hand, extract_explicit_carrier),
    (lambda order: propagate.inject(order) or order, lambda job: propagate.extract(carrier=job)),
]


@pytest.mark.parametrize(("answer", "hint"), JOB_WRONG)
def test_job_context_wrong_answers_get_their_hint(answer, hint, capsys):
    assert_hint(lambda pair: lesson07.check_job_context(*pair), answer, hint, capsys)


@pytest.mark.parametrize("answer", JOB_RIGHT)
def test_job_context_right_answers_pass(answer, capsys):
    assert_passes(lambda pair: lesson07.check_job_context(*pair), answer, capsys)


def test_the_worker_runs_in_an_empty_context(capsys):
    """A context_of that cheats by reading the caller's context cannot see the request."""
    seen = []

    def peek(job):
        seen.append(contextvars.copy_context())
        return otel_context.get_current()

    assert_hint(lambda pair: lesson07.check_job_context(*pair), (inject, peek), "has no parent",
                capsys)  # fmt: skip
