"""Speaker notes: in the deck (and its speaker view, offline), never in the book."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.slides import render, slide_cells, without_myst_targets
from coursekit.sphinx_book import is_note, read_notebook

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def synthetic() -> nbformat.NotebookNode:
    """Two slides, each with a note: one by slide type, one by tag."""
    slide = {"slideshow": {"slide_type": "slide"}}
    return new_notebook(
        cells=[
            new_markdown_cell("# A tiny lesson\n\nLesson text one.", metadata=slide),
            new_markdown_cell(
                "Say NOTE-BY-TYPE while the first slide shows.",
                metadata={"slideshow": {"slide_type": "notes"}},
            ),
            new_code_cell("print('hello')"),
            new_markdown_cell("## Second slide\n\nLesson text two.", metadata=slide),
            new_markdown_cell("Demo NOTE-BY-TAG here.", metadata={"tags": ["notes"]}),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
    )


def test_notes_cells_are_known_by_slide_type_or_tag():
    nb = synthetic()
    assert [is_note(cell) for cell in nb.cells] == [False, True, False, False, True]
    assert slide_cells(nb) == {(0, 0): [0, 1, 2], (1, 0): [3, 4]}


def test_the_book_reader_tags_only_the_notes():
    """Only notes change: jupyter-cache keys executed notebooks on code cells' metadata."""
    nb = read_notebook(nbformat.writes(synthetic()))
    assert [cell.metadata.get("tags") for cell in nb.cells] == [
        None,
        ["remove-cell"],
        None,
        None,
        ["notes", "remove-cell"],
    ]


def test_the_deck_carries_the_notes_and_the_speaker_view_shows_them_offline(
    tmp_path, serve, browser
):
    deck = render(tmp_path / "tiny.ipynb", tmp_path, synthetic())
    html = deck.read_text()
    assert html.count('<aside class="notes">') == 2
    base = serve(tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    outside = []

    def route(route):
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", route)
    try:
        page = context.new_page()
        page.goto(f"{base}/{deck.name}")
        page.wait_for_function("window.Reveal && Reveal.isReady()")
        assert not page.locator("aside.notes").first.is_visible(), "notes stay off the slide"
        assert "Lesson text one." in page.locator(".reveal .slides").inner_text()
        with page.expect_popup() as popup_info:
            page.keyboard.press("s")
        speaker = popup_info.value
        notes = speaker.locator(".speaker-controls-notes")
        notes.filter(has_text="NOTE-BY-TYPE").wait_for()
        page.keyboard.press("ArrowRight")
        notes.filter(has_text="NOTE-BY-TAG").wait_for()
        assert outside == []
    finally:
        context.close()


def test_the_book_leaves_the_notes_out(tmp_path):
    """A one-page Sphinx book with myst-nb and the kit's extension, as Jupyter Book has."""
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(synthetic(), src / "index.ipynb")
    (src / "conf.py").write_text(
        'extensions = ["myst_nb", "coursekit.sphinx_book"]\n'
        'nb_execution_mode = "off"\n'
        'exclude_patterns = ["_build"]\n'
    )
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(src), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    page = (out / "index.html").read_text()
    assert "Lesson text one." in page and "Lesson text two." in page
    assert "print" in page, "code cells stay"
    assert "NOTE-BY-TYPE" not in page and "NOTE-BY-TAG" not in page
    assert (out / "_static" / "coursekit.css").exists()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_speaker_notes(lesson):
    nb = nbformat.read(lesson, as_version=4)
    notes = [cell for cell in nb.cells if is_note(cell)]
    assert len(notes) >= 3, f"{lesson.stem}: {len(notes)} notes cells, want 3 or more"
    for cell in notes:
        assert cell.cell_type == "markdown", f"{lesson.stem}: a notes cell must be markdown"


def test_a_worked_answer_shows_on_the_next_key_press_not_with_its_task():
    from coursekit.slides import with_notes

    task = nbformat.v4.new_code_cell("answer = ...  # your turn")
    worked = nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["hide-cell"]})
    split = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-cell"]})
    split.metadata["slideshow"] = {"slide_type": "subslide"}
    nb = with_notes(nbformat.v4.new_notebook(cells=[task, worked, split]))
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert kinds == [None, "fragment", "subslide"], "a slide type the author set is kept"


def test_myst_target_lines_stay_out_of_the_decks():
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("(overhead-incident)=\n## The incident\n\nSee (this) = that."),
        new_code_cell("(x)=1"),
    ]
    without_myst_targets(nb)
    assert nb.cells[0].source == "## The incident\n\nSee (this) = that."
    assert nb.cells[1].source == "(x)=1", "code is left alone"
