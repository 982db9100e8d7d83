"""The learner mistakes each grader recognises, read from its tested catalogue of answers.

Every exercise's grader has a catalogue in ``tests/graders/test_exNN.py``: ``WRONG`` maps
a wrong answer's description to the answer and the hint it must get. Those descriptions
and hints are the instructor guide's "most common learner mistakes" (the page reads them
at build time, see sphinx_reference), so the guide never drifts from what the graders say.
Read with ``ast``, not imported: the catalogues need pytest and the whole kit.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "tests" / "graders"
SOLUTIONS = ROOT / "solutions"
CHEAT = "cheat"


@dataclass(frozen=True)
class Mistake:
    name: str  # the catalogue's description of the wrong answer
    hint: str  # what the grader's hint must say (a part of it)

    @property
    def cheat(self) -> bool:
        return self.name.startswith(CHEAT)


@dataclass(frozen=True)
class Exercise:
    number: str
    title: str
    mistakes: tuple[Mistake, ...]

    @property
    def honest(self) -> list[Mistake]:
        """The mistakes a learner makes in good faith: no cheats, not the blank start."""
        return [m for m in self.mistakes if not m.cheat and m.name != "unsolved"]

    @property
    def cheats(self) -> list[Mistake]:
        return [m for m in self.mistakes if m.cheat]


def catalogue(path: Path) -> tuple[Mistake, ...]:
    """The ``WRONG`` catalogue of one grader test file, in its order."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "WRONG" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            found = []
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if not isinstance(value, ast.Tuple) or key is None:
                    raise ValueError(f"{path.name}: WRONG entries are name: (answer, hint)")
                found.append(Mistake(ast.literal_eval(key), ast.literal_eval(value.elts[-1])))
            return tuple(found)
    raise ValueError(f"{path.name} has no WRONG catalogue")


def title_of(number: str) -> str:
    """The exercise's title: the first heading of its solution notebook."""
    for path in sorted(SOLUTIONS.glob(f"{number}_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines():
                if cell.cell_type == "markdown" and line.startswith("# "):
                    return line[2:].strip()
    return f"Exercise {number}"


def exercises(folder: Path = CATALOGUES) -> list[Exercise]:
    """Every exercise with a catalogue, in number order."""
    found = []
    for path in sorted(folder.glob("test_ex[0-9][0-9].py")):
        number = path.stem.removeprefix("test_ex")
        found.append(Exercise(number, title_of(number), catalogue(path)))
    return found
