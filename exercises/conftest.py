"""`make grade` (nbval on these notebooks): each check cell must be the course's own.

nbval compares a check cell's output with the stored "passed" line; a check cell edited to
print that line, or with its nbval-check-output tag removed, would pass without the work.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from coursekit.exercises import SOLUTIONS, changed_checks

_verdicts: dict[Path, str | None] = {}


def _problem(path: Path) -> str | None:
    solution = SOLUTIONS / path.name
    if not solution.exists():
        return None
    changed = changed_checks(nbformat.read(path, 4), nbformat.read(solution, 4))
    if not changed:
        return None
    last = changed[0].strip().splitlines()[-1]
    return (
        f"{path.name}: the check cell ending in {last!r} was changed, or lost its "
        f"nbval-check-output tag. Copy it back from solutions/{path.name}."
    )


def pytest_runtest_setup(item):
    path = Path(str(getattr(item, "fspath", "")))
    if path.suffix != ".ipynb":
        return
    if path not in _verdicts:
        _verdicts[path] = _problem(path)
    if _verdicts[path]:
        pytest.fail(_verdicts[path], pytrace=False)
