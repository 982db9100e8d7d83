"""Every lesson and solution has a text twin (text/<name>.md) that says what the notebook says."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from coursekit.notebook_files import as_text, from_text, text_twin

ROOT = Path(__file__).resolve().parent.parent
PAIRED = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))


@pytest.mark.parametrize("path", PAIRED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_text_twin_is_up_to_date(path):
    twin = text_twin(path)
    assert twin.exists(), f"{twin.relative_to(ROOT)} is missing: make text"
    expected = as_text(nbformat.read(path, as_version=4))
    assert twin.read_text(encoding="utf-8") == expected, f"{twin.name} is stale: make text"


def test_no_text_twin_without_its_notebook():
    for twin in list(ROOT.glob("notebooks/text/*.md")) + list(ROOT.glob("solutions/text/*.md")):
        assert (twin.parent.parent / f"{twin.stem}.ipynb").exists(), f"orphan twin {twin}"


def test_an_edit_in_the_text_twin_reaches_the_notebook_and_keeps_checked_outputs(tmp_path):
    lesson = tmp_path / "01_incident.ipynb"
    shutil.copy(ROOT / "notebooks" / "01_incident.ipynb", lesson)
    (tmp_path / "text").mkdir()
    twin = text_twin(lesson)
    before = nbformat.read(lesson, as_version=4)
    twin.write_text(as_text(before).replace("# The 3:42 PM incident", "# The 3:43 PM incident"))
    from_text(twin)
    after = nbformat.read(lesson, as_version=4)
    assert after.cells[0].source.startswith("# The 3:43 PM incident")
    outputs = [c.get("outputs") for c in before.cells[1:]]
    assert [c.get("outputs") for c in after.cells[1:]] == outputs, "outputs kept"
