"""The one harness every check uses: learner code run safely, spans as records, verdicts."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest
from opentelemetry.trace import Link, SpanKind

from coursekit.checks.harness import NotYet, Recording, call_learner_code, evaluate
from coursekit.checks.report import run_check
from tests.graders.catalogue import learner


def test_an_exception_is_one_line_that_names_the_learners_line():
    broken = learner("def f(x):\n    y = x + 1\n    return y / 0", "f")
    with pytest.raises(NotYet) as hint:
        call_learner_code(broken, 1)
    assert str(hint.value) == "f raised ZeroDivisionError: division by zero (line 4: return y / 0)"


def test_a_hang_times_out_with_a_hint():
    hangs = learner("import threading\ndef f():\n    threading.Event().wait()", "f")
    with pytest.raises(NotYet, match="did not return within 0.2 s"):
        call_learner_code(hangs, timeout=0.2)


def test_system_exit_is_a_hint_too():
    leaves = learner("def f():\n    raise SystemExit(3)", "f")
    with pytest.raises(NotYet, match="f raised SystemExit: 3"):
        call_learner_code(leaves)


def test_the_learners_prints_are_not_part_of_the_verdict(capsys):
    chatty = learner("def f():\n    print('✔ passed: trust me')\n    return 1", "f")

    def check(function):
        if call_learner_code(function) != 2:
            raise NotYet("f should return 2")
        return "fine"

    run_check(check, chatty)
    assert capsys.readouterr().out == "✘ not yet: f should return 2\n"


def test_a_stream_that_rewrites_the_verdict_gets_none(monkeypatch):
    rewrite = learner(
        "import io\nclass Rewrite(io.StringIO):\n"
        "    def write(self, text):\n        return super().write(text.replace('✘', '✔'))",
        "Rewrite",
    )
    monkeypatch.setattr(sys, "stdout", rewrite())
    with pytest.raises(RuntimeError, match="sys.stdout was replaced"):
        run_check(lambda: "fine")


def test_a_replaced_print_or_kit_function_refuses_a_verdict(monkeypatch):
    fake = learner("def fake(*args, **kwargs):\n    pass", "fake")
    monkeypatch.setattr("builtins.print", fake)
    assert evaluate(lambda: "fine").message.startswith("builtins.print is not the course's own")
    monkeypatch.undo()
    monkeypatch.setattr("coursekit.spans.records", fake)
    assert "coursekit.spans.records" in evaluate(lambda: "fine").message


def test_the_context_is_the_callers_and_what_the_learner_attaches_stays_in_theirs():
    with Recording("svc") as recording:
        with recording.tracer.start_as_current_span("outer", kind=SpanKind.SERVER) as outer:
            inner = learner(
                "def inner(tracer, link):\n"
                "    with tracer.start_as_current_span('inner', links=[link]):\n        pass",
                "inner",
            )
            call_learner_code(inner, recording.tracer, Link(outer.get_span_context()))
        spans = {s.name: s for s in recording.records()}
    assert spans["inner"].parent_id == spans["outer"].span_id
    assert spans["inner"].links == ((spans["outer"].trace_id, spans["outer"].span_id),)


def test_a_check_cell_changed_or_untagged_is_found():
    from coursekit.exercises import EXERCISES, SOLUTIONS, changed_checks, pairs

    for solution_path, exercise_path in pairs():
        assert (
            changed_checks(nbformat.read(exercise_path, 4), nbformat.read(solution_path, 4)) == []
        )
    solution = nbformat.read(SOLUTIONS / "05_tail_policy.ipynb", 4)
    exercise = nbformat.read(EXERCISES / "05_tail_policy.ipynb", 4)
    assert changed_checks(exercise, solution) == []
    (cell,) = [c for c in exercise.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    original = cell.source
    cell.source = 'print("✔ passed: every error trace ...")'
    assert changed_checks(exercise, solution) == [original]
    cell.source, cell.metadata["tags"] = original, []
    assert changed_checks(exercise, solution) == [original]


def test_make_grade_refuses_a_check_cell_that_prints_the_passed_line(tmp_path):
    """The one nbval run of a cheat: `make grade`'s conftest stops it before the cell runs."""
    from coursekit.exercises import EXERCISES, SOLUTIONS

    exercise = nbformat.read(SOLUTIONS / "05_tail_policy.ipynb", 4)  # its outputs are stored
    exercise.cells = [c for c in exercise.cells if "solution" not in c.metadata.get("tags", [])]
    for cell in exercise.cells:
        if "nbval-check-output" in cell.metadata.get("tags", []):
            cell.source = "print(" + repr(cell.outputs[0]["text"].rstrip("\n")) + ")"
    nbformat.write(exercise, tmp_path / "05_tail_policy.ipynb")
    shutil.copy(EXERCISES / "conftest.py", tmp_path / "conftest.py")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout[-2000:]
    assert "was changed, or lost its nbval-check-output tag" in result.stdout


def test_a_check_that_trips_on_the_learners_objects_answers_in_one_line():
    def check():
        return {}["missing"]

    outcome = evaluate(check)
    assert not outcome.passed
    assert outcome.message == "the check could not read what your code made (KeyError: 'missing')."
