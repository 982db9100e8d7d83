"""The checklists (one data file, a widget and the book's list), and the instructor guide's
generated parts: the learner mistakes from the graders' catalogues, the lesson lengths."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import pytest
import yaml

from coursekit import checklist, mistakes
from coursekit.checklist import Board, labels_in, load, problems, summary
from coursekit.sphinx_reference import lesson_lengths

ROOT = Path(__file__).resolve().parent.parent
DATA = load()
REFS = sorted({ref for item in DATA.items for ref in item.refs})


def lesson_path(ref: str) -> Path:
    return ROOT / f"{DATA.lesson_of(ref)}.ipynb"


def test_the_article_has_six_checklists_and_red_flags():
    titles = [c.title for c in DATA.lists]
    assert len(titles) == 7 and titles[-1].startswith("Red flags")
    for checklist_ in DATA.lists:
        assert len(checklist_.items) >= 5, checklist_.title
    ids = [item.id for item in DATA.items]
    assert len(set(ids)) == len(ids)


def test_every_item_links_a_section_that_exists_in_its_lesson():
    """Labels of lessons in this repository must exist; a lesson not written yet is listed."""
    missing, not_yet = [], set()
    for ref in REFS:
        path = lesson_path(ref)
        if not path.exists():
            not_yet.add(path.name)
        elif ref not in labels_in(path):
            missing.append(f"{ref} (in {path.name})")
    assert missing == [], f"labels the checklists link but no lesson defines: {missing}"
    if not_yet:
        pytest.skip(f"lessons not in this repository yet: {sorted(not_yet)}")


def test_no_label_is_defined_twice():
    counts = Counter(
        label for path in sorted(ROOT.glob("notebooks/*.ipynb")) for label in labels_in(path)
    )
    assert [label for label, n in counts.items() if n > 1] == []


def test_bad_data_gets_a_message_per_problem():
    raw = yaml.safe_load(checklist.DATA.read_text())
    assert problems(raw) == []
    raw["checklists"][0]["items"][0]["refs"] = []
    raw["checklists"][1]["items"][0]["refs"] = ["nowhere-label"]
    raw["red_flags"]["title"] = ""
    found = problems(raw)
    assert len(found) == 3
    assert any("needs refs" in p for p in found)
    assert any("'nowhere-label'" in p for p in found)
    assert problems([]) == ["checklists.yaml needs lessons, checklists and red_flags"]


def test_the_book_list_has_every_item_with_a_ref_per_section():
    text = checklist.markdown()
    for item in DATA.items:
        (line,) = [line for line in text.splitlines() if item.text in line]
        assert line.startswith("- ☐ ")
        for ref in item.refs:
            assert f"{{ref}}`{ref}`" in line


def test_the_widget_ticks_items_and_its_summary_says_what_is_done():
    board = Board()
    view = board.widget()
    assert view is not None
    first, flag = DATA.lists[0].items[0], DATA.lists[-1].items[0]
    board.boxes[first.id].value = True
    board.boxes[flag.id].value = True
    board.boxes[DATA.lists[0].items[1].id].value = True
    board.boxes[DATA.lists[0].items[1].id].value = False
    button = next(w for w in view.children if getattr(w, "description", "") == "Summary")
    button.click()
    text = board.output.value
    assert text == board.summary() == summary({first.id, flag.id})
    total = len(DATA.items)
    assert text.splitlines()[0] == f"## Tracing readiness: 2 of {total} checked"
    assert f"- [x] {first.text}" in text and f"- [x] {flag.text}" in text
    assert f"- [ ] {DATA.lists[0].items[1].text}" in text
    assert f"### {DATA.lists[0].title}: 1 of {len(DATA.lists[0].items)} done" in text
    assert f"### {DATA.lists[-1].title}: 1 of {len(DATA.lists[-1].items)} cleared" in text


def test_the_widget_links_each_item_to_its_lesson_notebook():
    board = Board()
    link = board.link("sampling-tail", here=ROOT / "book")
    assert link.startswith("<a href='../notebooks/05_sampling.ipynb#Tail-sampling-in-the-")
    assert "05: Tail sampling in the Collector" in link


def test_ticking_an_unknown_item_says_what_ids_look_like():
    with pytest.raises(ValueError, match="ids look like 'sampling-2'"):
        Board().check("sampling-99")


def test_the_output_is_a_widget_in_jupyter_and_markdown_in_the_book():
    bundle = Board()._repr_mimebundle_()
    assert {"text/plain", "text/markdown", "application/vnd.jupyter.widget-view+json"} <= set(
        bundle
    )
    assert "In JupyterLab: tick the boxes" in bundle["text/plain"]


@pytest.mark.parametrize("exercise", mistakes.exercises(), ids=lambda e: e.number)
def test_the_guide_reads_each_graders_catalogue_as_the_graders_hold_it(exercise):
    module = importlib.import_module(f"tests.graders.test_ex{exercise.number}")
    wrong = module.WRONG
    assert [m.name for m in exercise.mistakes] == list(wrong)
    assert [m.hint for m in exercise.mistakes] == [hint for _, hint in wrong.values()]
    assert len(exercise.honest) >= 5 and exercise.cheats
    assert not exercise.title.startswith("Exercise"), "the solution's heading"


def test_a_catalogue_without_wrong_answers_is_refused(tmp_path):
    (tmp_path / "test_ex99.py").write_text("RIGHT = {}\n")
    with pytest.raises(ValueError, match="no WRONG catalogue"):
        mistakes.exercises(tmp_path)


def test_lesson_lengths_cover_every_lesson_of_the_toc():
    rows = lesson_lengths()
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [r["lesson"] for r in rows] == lessons
    for row in rows:
        assert row["words"] > 1000 and row["slides"] > 5 and row["tasks"] >= 1
