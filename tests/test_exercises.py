"""Exercises are generated from their solutions without drift. The graders and their
catalogues of answers are tested in tests/graders/."""

from __future__ import annotations

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
