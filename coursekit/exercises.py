"""Exercises are generated from their solutions: the solution is the only file authors edit.

In a solution notebook:

- code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes ``...  # your code here``
  at the marker's indentation (a function whose body is only ``...`` returns None);
- a cell tagged ``solution`` is left out of the exercise;
- checked cells (tag ``nbval-check-output``) keep the solution's "passed" output, so
  nbval grades the learner's notebook against it.

    python -m coursekit.exercises            # solutions/*.ipynb -> exercises/*.ipynb
    python -m coursekit.exercises --execute  # first re-run each solution to refresh its outputs
    python -m coursekit.exercises --check    # fail if an exercise differs from its solution
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from .notebook_files import is_checked, keep_checked_outputs, refresh

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
SOLUTION_TAG = "solution"


class MarkerError(ValueError):
    pass


def strip_solution_code(source: str) -> str:
    out, inside = [], False
    for line in source.splitlines():
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise MarkerError("BEGIN SOLUTION inside another BEGIN SOLUTION")
            inside = True
            out.append(f"{begin.group(1)}...  # your code here")
        elif END.match(line):
            if not inside:
                raise MarkerError("END SOLUTION without BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError("BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def exercise_from_solution(solution):
    """The exercise notebook for a solution notebook (which is not changed)."""
    nb = copy.deepcopy(solution)
    cells = []
    for cell in nb.cells:
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solution_code(cell.source)
        cells.append(cell)
    nb.cells = cells
    if not any(is_checked(c) for c in cells):
        raise MarkerError("a solution needs at least one check cell tagged nbval-check-output")
    return keep_checked_outputs(nb)


def changed_checks(exercise, solution) -> list[str]:
    """The solution's check cells that the exercise does not hold, unchanged and tagged:
    a learner's notebook is graded only by the course's own checks."""
    held = [c.source for c in exercise.cells if is_checked(c)]
    return [c.source for c in solution.cells if is_checked(c) and c.source not in held]


def pairs():
    return [(s, EXERCISES / s.name) for s in sorted(SOLUTIONS.glob("*.ipynb"))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.exercises")
    parser.add_argument("--execute", action="store_true", help="re-run solutions first")
    parser.add_argument("--check", action="store_true", help="only report drift")
    args = parser.parse_args(argv)
    drift = []
    for solution_path, exercise_path in pairs():
        if args.execute:
            refresh(solution_path)
        solution = nbformat.read(solution_path, as_version=4)
        expected = nbformat.writes(exercise_from_solution(solution)) + "\n"
        current = exercise_path.read_text(encoding="utf-8") if exercise_path.exists() else None
        if args.check:
            if current != expected:
                drift.append(exercise_path.relative_to(ROOT))
        elif current != expected:
            exercise_path.write_text(expected, encoding="utf-8")
            print(f"wrote {exercise_path.relative_to(ROOT)}")
    if drift:
        print("out of date (run: make exercises):", *drift, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
