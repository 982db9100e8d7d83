"""Lessons 04 and 05's "your turn" checks: wrong answers get their own hint, right answers
in several styles pass, and the placeholders the lessons ship get a hint, not a pass."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import StatusCode
from task_checks import outcome

from coursekit.tasks import lesson04, lesson05
from coursekit.tasks.predict import reveal

# --- lesson 04: span status ------------------------------------------------------------
STATUS_WRONG = [
    (lambda kind, code: "UNSET", "Client spans fail on 4xx and 5xx"),
    (lambda kind, code: "ERROR" if code >= 500 else "UNSET", "Client spans fail on 4xx and 5xx"),
    (lambda kind, code: "ERROR" if code >= 400 else "UNSET", "Server spans fail on 5xx only"),
    (lambda kind, code: "ERROR" if code >= 400 else "OK", "leaves a success UNSET"),
    (lambda kind, code: code >= 400, "return 'UNSET', 'ERROR'"),
    (lambda kind, code: "ERROR" if code >= 300 else "UNSET", "not failures"),
    (lambda kind, code: 1 / 0, "raised ZeroDivisionError"),
    ("ERROR", "must be a function"),
]
STATUS_RIGHT = [
    lambda kind, code: "ERROR" if code >= (500 if kind == "server" else 400) else "UNSET",
    lambda kind, code: (
        StatusCode.ERROR if code >= 500 or (kind == "client" and code >= 400) else StatusCode.UNSET
    ),
    lambda kind, code: {True: "error", False: "unset"}[
        code > 499 or kind != "server" and code > 399
    ],
]


@pytest.mark.parametrize(("answer", "hint"), STATUS_WRONG)
def test_span_status_wrong_answers_get_their_hint(answer, hint, capsys):
    said = outcome(lesson04.check_span_status, answer, capsys)
    assert said.startswith("✘ not yet:") and hint in said, said


@pytest.mark.parametrize("answer", STATUS_RIGHT)
def test_span_status_right_answers_pass(answer, capsys):
    assert outcome(lesson04.check_span_status, answer, capsys).startswith("✔ passed:")


# --- lesson 04: resource ---------------------------------------------------------------
GOOD_ATTRS = "service.version=2.3.1,deployment.environment.name=staging"
ENV_WRONG = [
    ({"OTEL_SERVICE_NAME": "payment"}, "comma-separated key=value"),
    ({"OTEL_RESOURCE_ATTRIBUTES": GOOD_ATTRS}, "OTEL_SERVICE_NAME=payment"),
    (
        {
            "OTEL_SERVICE_NAME": "payment",
            "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.3.1;deployment.environment.name=staging",
        },
        "comma-separated",
    ),  # fmt: skip
    (
        {
            "OTEL_SERVICE_NAME": "payment",
            "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.3.1,deployment.environment=staging",
        },
        "deployment.environment.name",
    ),  # fmt: skip
    ({"SERVICE_NAME": "payment"}, "start OTEL_"),
    ({"OTEL_SERVICE_NAME": "checkout", "OTEL_RESOURCE_ATTRIBUTES": GOOD_ATTRS}, "'checkout'"),
    ("OTEL_SERVICE_NAME=payment", "a dict of strings"),
    (
        {"OTEL_SERVICE_NAME": "payment", "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.3"},
        "service.version",
    ),  # fmt: skip
]
ENV_RIGHT = [
    {"OTEL_SERVICE_NAME": "payment", "OTEL_RESOURCE_ATTRIBUTES": GOOD_ATTRS},
    {"OTEL_RESOURCE_ATTRIBUTES": "service.name=payment," + GOOD_ATTRS},
    {
        "OTEL_SERVICE_NAME": "payment",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=staging, service.version=2.3.1,"
        "service.instance.id=pod-7",
    },  # fmt: skip
]


@pytest.mark.parametrize(("answer", "hint"), ENV_WRONG)
def test_resource_wrong_answers_get_their_hint(answer, hint, capsys):
    said = outcome(lesson04.check_payment_env, answer, capsys)
    assert said.startswith("✘ not yet:") and hint in said, said


@pytest.mark.parametrize("answer", ENV_RIGHT)
def test_resource_right_answers_pass(answer, capsys):
    assert outcome(lesson04.check_payment_env, answer, capsys).startswith("✔ passed:")


# --- lesson 05: a sampler that reads attributes ----------------------------------------
class Wrapping(Sampler):
    def __init__(self, then, drops):
        self.then, self.drops = then, drops

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                      links=None, trace_state=None):  # fmt: skip
        if self.drops(name, attributes or {}):
            return SamplingResult(Decision.DROP)
        return self.then.should_sample(parent_context, trace_id, name, kind, attributes, links)

    def get_description(self):
        return "test"


RATIO = ParentBased(TraceIdRatioBased(0.1))
by_path = lambda name, attributes: attributes.get("url.path") == "/health"  # noqa: E731
SAMPLER_WRONG = [
    (Wrapping(RATIO, lambda n, a: False), "GET /health was kept"),
    (Wrapping(TraceIdRatioBased(0.1), by_path), "its parent was"),
    (Wrapping(ALWAYS_ON, by_path), "return what self.then decides"),
    (Wrapping(ParentBased(TraceIdRatioBased(0.5)), by_path), "return what self.then decides"),
    (Wrapping(RATIO, lambda n, a: True), "return what self.then decides"),
    (Wrapping(RATIO, lambda n, a: a["url.path"] + 1), "raised TypeError"),
    (RATIO.should_sample, "must be a Sampler"),
    (Wrapping(RATIO, lambda n, a: "health" in a.get("http.request.method", "")), "was kept"),
]
SAMPLER_RIGHT = [
    Wrapping(RATIO, by_path),
    Wrapping(RATIO, lambda name, attributes: name == "GET /health"),
    Wrapping(RATIO, lambda name, attributes: "/health" in str(attributes.get("url.path"))),
]


@pytest.mark.parametrize(("answer", "hint"), SAMPLER_WRONG)
def test_sampler_wrong_answers_get_their_hint(answer, hint, capsys):
    said = outcome(lesson05.check_sampler, answer, capsys)
    assert said.startswith("✘ not yet:") and hint in said, said


@pytest.mark.parametrize("answer", SAMPLER_RIGHT)
def test_sampler_right_answers_pass(answer, capsys):
    assert outcome(lesson05.check_sampler, answer, capsys).startswith("✔ passed:")


# --- lesson 05: num_traces -------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "hint"),
    [(10_000, "traces per second"), (2_500, "traces per second"), (20_000, "too few"),
     (100_000, "whole fleet"), (90_000, "more than 3x"), ("50000", "a number"),
     (True, "a number"), (0, "too few")],
)  # fmt: skip
def test_num_traces_wrong_answers_get_their_hint(answer, hint, capsys):
    said = outcome(lesson05.check_num_traces, answer, capsys)
    assert said.startswith("✘ not yet:") and hint in said, said


@pytest.mark.parametrize("answer", [25_000, 50_000, 2 * 10_000 / 4 * 10, 75_000])
def test_num_traces_right_answers_pass(answer, capsys):
    assert outcome(lesson05.check_num_traces, answer, capsys).startswith("✔ passed:")


# --- lesson 05: error rate -------------------------------------------------------------
def by_dict(spans):
    traces = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span.is_error)
    return sum(map(any, traces.values())) / len(traces) if traces else 0


def by_sets(spans):
    ids = {s.trace_id for s in spans}
    return len({s.trace_id for s in spans if s.status == "ERROR"}) / len(ids) if ids else 0.0


def by_counter(spans):
    errors = Counter(s.trace_id for s in spans if s.is_error)
    total = len({s.trace_id for s in spans})
    return len(errors) / total if total else 0


RATE_WRONG = [
    (lambda spans: 0.0, "group spans by trace_id"),
    (lambda spans: sum(s.is_error for s in spans) / len(spans), "error *spans*"),
    (
        lambda spans: sum(s.is_error for s in spans) / len({s.trace_id for s in spans}),
        "counted twice",
    ),  # fmt: skip
    (lambda spans: 100 * by_sets(spans), "a percentage"),
    (lambda spans: by_sets(spans) if spans else 1 / 0, "raised ZeroDivisionError"),
    (lambda spans: str(by_sets(spans)), "return a share"),
    (lambda spans: len({s.trace_id for s in spans if s.status == "OK"}) / len(spans), "not"),
    ("rate", "must be a function"),
]


@pytest.mark.parametrize(("answer", "hint"), RATE_WRONG)
def test_error_rate_wrong_answers_get_their_hint(answer, hint, capsys):
    said = outcome(lesson05.check_error_rate, answer, capsys)
    assert said.startswith("✘ not yet:") and hint in said, said


@pytest.mark.parametrize("answer", [by_dict, by_sets, by_counter])
def test_error_rate_right_answers_pass(answer, capsys):
    assert outcome(lesson05.check_error_rate, answer, capsys).startswith("✔ passed:")


def test_reveal_says_what_was_guessed(capsys):
    reveal(None, 0, what="spans")
    reveal(0, 0, what="spans")
    reveal(4, 0, what="spans")
    lines = capsys.readouterr().out.splitlines()
    assert "No guess" in lines[0] and "predicted it" in lines[1] and "You guessed 4" in lines[2]
