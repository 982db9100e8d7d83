"""Helpers for the grader catalogues.

Catalogue tests call the check functions directly on learner code written as strings
(fast, no kernel). Only ``notebook_runs`` executes notebooks: each solution and each
unsolved exercise once, whatever the number of tests that read them.
"""

from __future__ import annotations

import contextlib
import linecache
import sys
import textwrap
import types
from pathlib import Path

import nbformat

from coursekit.checks.harness import _GUARDED, _GUARDED_STDLIB, Outcome, evaluate
from coursekit.exercises import EXERCISES, SOLUTIONS
from coursekit.notebook_files import execute, is_checked

PRELUDES: dict[str, str] = {}  # exercise number -> the imports its learners have


def learner(source: str, *names: str, prelude: str = ""):
    """The functions ``names`` from learner code, compiled under a file name of its own
    (as a notebook cell is), so the harness treats it as the learner's."""
    code = prelude + "\n" + textwrap.dedent(source)
    filename = f"<learner-{abs(hash(code))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace: dict = {"__name__": "__learner__"}
    exec(compile(code, filename, "exec"), namespace)
    found = tuple(namespace.get(name) for name in names)
    return found if len(found) > 1 else found[0]


def grade(check, *args) -> Outcome:
    return evaluate(check, *args)


def assert_catalogue(wrong: dict, grade_one) -> None:
    """Every wrong answer fails with its own hint, and no two hints are the same."""
    messages = {}
    for name, (answer, hint) in wrong.items():
        with kit_restored():
            outcome = grade_one(answer)
        assert not outcome.passed, f"the wrong answer {name!r} passed"
        flat = " ".join(outcome.message.split())
        assert hint in flat, f"{name!r}: expected {hint!r} in: {flat}"
        messages[name] = flat
    seen = {}
    for name, message in messages.items():
        assert message not in seen, f"{name!r} and {seen.get(message)!r} get the same hint"
        seen[message] = name


class NotebookRuns:
    """Solutions and exercises, each executed at most once, on first use."""

    def __init__(self) -> None:
        self._done: dict[Path, nbformat.NotebookNode] = {}

    def executed(self, path: Path):
        if path not in self._done:
            self._done[path] = execute(path)
        return self._done[path]

    def check_output(self, number: str, which: str = "solution") -> str:
        folder = SOLUTIONS if which == "solution" else EXERCISES
        (path,) = folder.glob(f"{number}_*.ipynb")
        cells = [c for c in self.executed(path).cells if is_checked(c)]
        return "".join(o.get("text", "") for c in cells for o in c.outputs)

    @staticmethod
    def stored_output(number: str) -> str:
        (path,) = SOLUTIONS.glob(f"{number}_*.ipynb")
        cells = [c for c in nbformat.read(path, 4).cells if is_checked(c)]
        return "".join(o.get("text", "") for c in cells for o in c.outputs)

    @staticmethod
    def solution_source(number: str) -> str:
        """The solution's code cells, up to its check, as one learner source."""
        (path,) = SOLUTIONS.glob(f"{number}_*.ipynb")
        cells = nbformat.read(path, 4).cells
        code = [c.source for c in cells if c.cell_type == "code" and not is_checked(c)]
        return "\n\n".join(code)


def _snapshot():
    saved = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name.startswith(_GUARDED) or name in _GUARDED_STDLIB):
            continue
        saved[name] = (module, dict(vars(module)), {
            value: dict(vars(value))
            for value in vars(module).values()
            if isinstance(value, type) and value.__module__ == name
        })  # fmt: skip
    return saved


def _functions(saved):
    """The functions in the snapshot's modules and classes."""
    for _, namespace, classes in saved.values():
        for values in (namespace, *classes.values()):
            yield from (v for v in values.values() if isinstance(v, types.FunctionType))


@contextlib.contextmanager
def kit_restored():
    """Whatever a cheat monkeypatched in the kit, the SDK or the shop is put back."""
    saved = _snapshot()
    defaults = {  # a cheat can change a function's defaults and keep the function itself
        fn: (fn.__defaults__, fn.__kwdefaults__ and dict(fn.__kwdefaults__))
        for fn in _functions(saved)
    }
    try:
        yield
    finally:
        for fn, (positional, keywords) in defaults.items():
            fn.__defaults__, fn.__kwdefaults__ = positional, keywords
        for module, namespace, classes in saved.values():
            current = vars(module)
            for key in set(current) - set(namespace):
                if not isinstance(current[key], types.ModuleType):  # submodules stay
                    del current[key]
            current.update(namespace)
            for cls, attributes in classes.items():
                for key in set(vars(cls)) - set(attributes):
                    delattr(cls, key)
                for key, value in attributes.items():
                    if vars(cls).get(key) is not value:
                        setattr(cls, key, value)
