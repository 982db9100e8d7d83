"""Exercises: generated from solutions without drift, and graded by nbval both ways."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.exercises import (
    EXERCISES,
    SOLUTIONS,
    MarkerError,
    main,
    pairs,
    strip_solution_code,
)

ROOT = Path(__file__).resolve().parent.parent


def test_every_solution_has_its_exercise_and_they_have_not_drifted():
    assert pairs(), "no solutions found"
    assert sorted(p.name for p in EXERCISES.glob("*.ipynb")) == sorted(
        p.name for p in SOLUTIONS.glob("*.ipynb")
    )
    assert main(["--check"]) == 0, "run: make exercises"


def test_drift_is_detected(tmp_path, monkeypatch):
    solution_path, exercise_path = pairs()[0]
    solution = nbformat.read(solution_path, as_version=4)
    next(c for c in solution.cells if c.cell_type == "markdown").source += "\nA new sentence."
    monkeypatch.setattr("coursekit.exercises.SOLUTIONS", tmp_path / "solutions")
    monkeypatch.setattr("coursekit.exercises.EXERCISES", tmp_path / "exercises")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    nbformat.write(solution, tmp_path / "solutions" / solution_path.name)
    (tmp_path / "exercises" / exercise_path.name).write_bytes(exercise_path.read_bytes())
    monkeypatch.setattr("coursekit.exercises.ROOT", tmp_path)
    assert main(["--check"]) == 1


def test_solution_code_is_stripped_at_its_indentation():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return x * 2\n    # END SOLUTION\n\nf(1)"
    assert strip_solution_code(source) == "def f(x):\n    ...  # your code here\n\nf(1)"
    for broken in (
        "# BEGIN SOLUTION\nx",
        "x\n# END SOLUTION",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION",
    ):
        with pytest.raises(MarkerError):
            strip_solution_code(broken)


def test_exercises_hold_no_solution_and_keep_the_passed_line():
    for solution_path, exercise_path in pairs():
        exercise = nbformat.read(exercise_path, as_version=4)
        text = exercise_path.read_text()
        assert "BEGIN SOLUTION" not in text and "your code here" in text
        solution_only = [
            c
            for c in nbformat.read(solution_path, 4).cells
            if "solution" in c.metadata.get("tags", [])
        ]
        exercise_sources = [c.source for c in exercise.cells]
        assert solution_only, "each solution explains itself in a cell tagged solution"
        for cell in solution_only:
            assert cell.source not in exercise_sources
        checked = [c for c in exercise.cells if "nbval-check-output" in c.metadata.get("tags", [])]
        assert checked and all("passed" in str(c.outputs) for c in checked)


def nbval(notebook: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(notebook.parent),
            str(notebook),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def with_answers(solution_path: Path, bodies: list[str], out: Path) -> Path:
    """The solution notebook with its marked solution blocks replaced, in order, by `bodies`."""
    nb = nbformat.read(solution_path, as_version=4)
    replacements = iter(bodies)
    for cell in nb.cells:
        while "# BEGIN SOLUTION" in cell.source:
            start = cell.source.index("# BEGIN SOLUTION")
            end = cell.source.index("# END SOLUTION") + len("# END SOLUTION")
            cell.source = cell.source[:start] + next(replacements) + cell.source[end:]
    path = out / solution_path.name
    nbformat.write(nb, path)
    return path


def flat(nbval_output: str) -> str:
    """nbval's report as one line: its diff prefixes ("E   - ") and the check's wrapping gone."""
    return " ".join(re.sub(r"(?m)^E?\s+[-+]?\s", " ", nbval_output).split())


def assert_fails_with_hint(solution: Path, answers, tmp_path: Path, name: str, hint: str):
    """The exercise (answers None) or the solution with `answers` fails nbval with `hint`."""
    if answers is None:
        notebook = EXERCISES / solution.name
    else:
        notebook = with_answers(solution, answers, tmp_path)
    result = nbval(notebook)
    assert result.returncode != 0, f"the {name} passed the grader"
    assert hint in flat(result.stdout), result.stdout[-3000:]


EX01 = SOLUTIONS / "01_diagnose_a_trace.ipynb"


def test_grader_01_passes_the_solution():
    result = nbval(EX01)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("name", "answer", "hint"),
    [
        ("unsolved exercise", None, "diagnose returned None"),
        (
            "hard-coded answer",
            'return ("payment", "payment-provider authorize")',
            "no span has status ERROR",
        ),
        ("empty answer", "return ()", "return a pair"),
        (
            "root instead of culprit",
            "return trace[0].service if any(s.is_error for s in trace) else None, 'lookup stock'",
            "where the error surfaced",
        ),
        (
            "longest span instead of self time",
            "parents = {s.parent_id for s in trace if s.is_error}\n    "
            "bad = [s.service for s in trace if s.is_error and s.span_id not in parents]\n    "
            "return (bad[0] if bad else None), max(trace, key=lambda s: s.duration_ms).name",
            "most of its time is spent in its children",
        ),
        (
            "self time minus all descendants",
            "parents = {s.parent_id for s in trace if s.is_error}\n    "
            "bad = [s.service for s in trace if s.is_error and s.span_id not in parents]\n    "
            "kids = {}\n    "
            "for s in trace:\n        kids.setdefault(s.parent_id, []).append(s)\n    "
            "below = lambda i: sum(c.duration_ms + below(c.span_id) for c in kids.get(i, []))\n    "
            "return (bad[0] if bad else None), "
            "max(trace, key=lambda s: s.duration_ms - below(s.span_id)).name",
            "not of all its descendants",
        ),
        (
            "a span name as the service",
            "errors = [s for s in trace if s.is_error]\n    "
            "return (errors[-1].name if errors else None), 'lookup stock'",
            "is a span's name",
        ),
    ],
)
def test_grader_01_fails_wrong_answers_with_a_hint(tmp_path, name, answer, hint):
    assert_fails_with_hint(EX01, None if answer is None else [answer], tmp_path, name, hint)


EX02 = SOLUTIONS / "02_queue_hop.ipynb"
SEND = """with tracer.start_as_current_span("send order", kind=SpanKind.PRODUCER):
        headers = {}
        inject(headers)
        queue.put({"headers": headers, "body": order})"""
RECEIVE = """with tracer.start_as_current_span(
        "process order", kind=SpanKind.CONSUMER, context=extract(message["headers"])
    ):
        pass"""


def test_grader_02_passes_the_solution(tmp_path):
    assert nbval(EX02).returncode == 0
    rewritten = with_answers(EX02, [SEND, RECEIVE], tmp_path)
    assert nbval(rewritten).returncode == 0, "the test's own right answer should pass"


@pytest.mark.parametrize(
    ("name", "send", "receive", "hint"),
    [
        ("unsolved exercise", None, None, "found no message on the queue"),
        ("no inject", SEND.replace("inject(headers)", "pass"), RECEIVE, "started new traces"),
        ("inject outside the producer span",
         "headers = {}\n    inject(headers)\n    "
         + SEND.replace("headers = {}", "pass").replace("inject(headers)", "pass"),
         RECEIVE, "parent is the request span"),
        ("no extract", SEND, RECEIVE.replace(', context=extract(message["headers"])', ""),
         "started new traces"),
        ("wrong kinds", SEND.replace("PRODUCER", "INTERNAL"), RECEIVE, "PRODUCER spans"),
        ("context in the order itself",
         SEND.replace('headers = {}', 'headers = order').replace(
             'queue.put({"headers": headers, "body": order})', "queue.put(order)"),
         RECEIVE.replace('message["headers"]', "message"), "travels in the headers"),
        ("attached and never detached", SEND,
         "from opentelemetry.context import attach\n    "
         'attach(extract(message["headers"]))\n    '
         'with tracer.start_as_current_span("process order", kind=SpanKind.CONSUMER):\n'
         "        pass", "left the extracted context attached"),
        ("span names", SEND.replace('"send order"', '"xx"'), RECEIVE, "name them 'send order'"),
    ],
)  # fmt: skip
def test_grader_02_fails_wrong_answers_with_a_hint(tmp_path, name, send, receive, hint):
    assert_fails_with_hint(EX02, None if send is None else [send, receive], tmp_path, name, hint)


EX03 = SOLUTIONS / "03_provider.ipynb"
TAG = 'span.set_attribute("app.release", RELEASE)'
BUILD = """resource = Resource.create(
        {"service.name": service, "deployment.environment.name": "workshop"}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(ReleaseTagger())
    for endpoint in endpoints:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider"""


def test_grader_03_passes_the_solution(tmp_path):
    assert nbval(EX03).returncode == 0
    assert nbval(with_answers(EX03, [TAG, BUILD], tmp_path)).returncode == 0


@pytest.mark.parametrize(
    ("name", "tag", "build", "hint"),
    [
        ("unsolved exercise", None, None, "build_provider returned None"),
        ("one endpoint only", TAG, BUILD.replace("in endpoints", "in endpoints[:1]"),
         "the second receiver got no spans"),
        ("no tagger", TAG, BUILD.replace("provider.add_span_processor(ReleaseTagger())", ""),
         "has no app.release"),
        ("release on the resource", "pass",
         BUILD.replace('"workshop"}', '"workshop", "app.release": RELEASE}'),
         "it is on the resource, not the span"),
        ("no environment", TAG, BUILD.replace(', "deployment.environment.name": "workshop"', ""),
         "deployment.environment.name"),
        ("hard-coded service name", TAG,
         BUILD.replace('"service.name": service', '"service.name": "shop"'), "using the argument"),
        ("a tagger that raises", 'raise ValueError("no release today")', BUILD,
         "answered [500, 500]"),
    ],
)  # fmt: skip
def test_grader_03_fails_wrong_answers_with_a_hint(tmp_path, name, tag, build, hint):
    assert_fails_with_hint(EX03, None if tag is None else [tag, build], tmp_path, name, hint)


EX04 = SOLUTIONS / "04_business_spans.ipynb"
CHARGE = """with tracer.start_as_current_span("charge order") as span:
        span.set_attributes({"app.order.id": order.id, "app.order.value": order.value,
                             "app.order.item_count": order.item_count,
                             "app.customer.tier": order.customer_tier})
        for provider in providers:
            span.set_attribute("app.payment.provider", provider.name)
            try:
                return provider.charge(order.card, order.value)
            except ProviderTimeout:
                span.add_event("timeout", {"app.payment.provider": provider.name})
        raise PaymentFailed(order.id)"""


def test_grader_04_passes_the_solution(tmp_path):
    result = nbval(EX04)
    assert result.returncode == 0, result.stdout[-3000:]
    rewritten = with_answers(EX04, [CHARGE], tmp_path)
    assert nbval(rewritten).returncode == 0, "the test's own right answer should pass"
    recorded = CHARGE.replace(
        "except ProviderTimeout:", "except ProviderTimeout as timeout:"
    ).replace(
        'span.add_event("timeout", {"app.payment.provider": provider.name})',
        'span.record_exception(timeout, {"app.payment.provider": provider.name})',
    )
    rewritten = with_answers(EX04, [recorded], tmp_path)
    assert nbval(rewritten).returncode == 0, "timeouts recorded as exceptions should pass"


@pytest.mark.parametrize(
    ("name", "answer", "hint"),
    [
        ("unsolved exercise", None, "no spans"),
        (
            "logic without instrumentation",
            "from services.labs.providers import charge_order_uninstrumented\n    "
            "return charge_order_uninstrumented(order, providers)",
            "no spans",
        ),
        (
            "order id in the span name",
            CHARGE.replace('"charge order"', 'f"charge order {order.id}"'),
            "keep ids out of span names",
        ),
        (
            "value as a string",
            CHARGE.replace('"app.order.value": order.value', '"app.order.value": str(order.value)'),
            "set the number itself",
        ),
        (
            "provider set once, before the attempts",
            CHARGE.replace(
                '            span.set_attribute("app.payment.provider", provider.name)\n', ""
            ).replace(
                '"app.customer.tier": order.customer_tier}',
                '"app.customer.tier": order.customer_tier,\n'
                '                             "app.payment.provider": providers[0].name}',
            ),
            "set it for each attempt",
        ),
        (
            "card number on the span",
            CHARGE.replace(
                '"app.order.id": order.id,', '"app.order.id": order.id, "card": order.card,'
            ),
            "personal data",
        ),
        (
            "failure swallowed",
            CHARGE.replace("raise PaymentFailed(order.id)", "return None"),
            "let PaymentFailed leave",
        ),
        (
            "no timeout events",
            CHARGE.replace(
                'span.add_event("timeout", {"app.payment.provider": provider.name})', "pass"
            ),
            "one event per timed-out attempt",
        ),
        (
            "timeout events that name the wrong provider",
            CHARGE.replace(
                '{"app.payment.provider": provider.name})', '{"app.payment.provider": "nobody"})'
            ),
            "name the provider of that attempt",
        ),
        (
            "a field guessed wrong",
            CHARGE.replace("order.customer_tier", "order.tier"),
            "the fields are printed",
        ),
        (
            "failure caught inside the span, status never set",
            CHARGE.replace(
                "        raise PaymentFailed(order.id)",
                "        try:\n            raise PaymentFailed(order.id)\n"
                "        except PaymentFailed:\n            pass\n"
                "    raise PaymentFailed(order.id)",
            ),
            "status is UNSET",
        ),
    ],
)
def test_grader_04_fails_wrong_answers_with_a_hint(tmp_path, name, answer, hint):
    assert_fails_with_hint(EX04, None if answer is None else [answer], tmp_path, name, hint)
