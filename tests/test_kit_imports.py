"""The kit imports lazily: `import coursekit` loads nothing heavy; every name it offers is real."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import coursekit


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (a clean ``sys.modules``); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_every_lazy_name_is_a_real_attribute_of_its_module():
    for name, target in coursekit._EXPORTS.items():
        module, _, attribute = target.partition(":")
        assert hasattr(importlib.import_module(module), attribute or name), (name, target)
        assert getattr(coursekit, name) is not None
    assert sorted(coursekit.__all__) == sorted(coursekit._EXPORTS)
    assert set(coursekit._EXPORTS) <= set(dir(coursekit))


def test_an_unknown_name_is_an_attribute_error():
    try:
        coursekit.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_kit_or_the_doctor_loads_no_plotting_library():
    heavy = ("plotly", "nbformat", "pandas", "ipywidgets")
    code = "import sys, {}; print(sorted(m for m in {!r} if m in sys.modules))"
    assert run_python(code.format("coursekit", heavy)) == "[]"
    assert run_python(code.format("coursekit.doctor.__main__", heavy)) == "[]"


def test_names_shared_with_submodules_stay_functions_once_those_are_imported():
    out = run_python(
        "import coursekit as ck\n"
        "from coursekit.doctor import check\n"
        "import coursekit.explore, coursekit.quiz, coursekit.waterfall\n"
        "names = ('doctor', 'explore', 'quiz', 'waterfall')\n"
        "print([callable(getattr(ck, name)) for name in names])"
    )
    assert out == "[True, True, True, True]"


def test_a_module_that_draws_switches_plotly_to_the_offline_renderer():
    out = run_python(
        "import plotly.io as pio\n"
        "from coursekit.waterfall import waterfall\n"
        "print(pio.renderers.default)"
    )
    assert out == "coursekit"


def test_a_submodule_is_reachable_from_the_package_as_before_the_lazy_table():
    out = run_python("import coursekit as ck\nprint(ck.tables.Table.__name__)")
    assert out == "Table", "lesson 06 writes ck.tables.Table(...)"


def test_every_kit_module_that_draws_sets_the_offline_renderer():
    """Lessons 06 and 08 drew nothing in the book and decks until their chart modules did."""
    kit = Path(coursekit.__file__).parent
    drawing = [
        path
        for path in kit.rglob("*.py")
        if "import plotly.graph_objects" in path.read_text()
        or "import plotly.express" in path.read_text()
    ]
    assert len(drawing) >= 8
    for path in drawing:
        assert "use_offline_renderer()" in path.read_text(), path.relative_to(kit)
