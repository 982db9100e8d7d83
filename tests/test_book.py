"""The executed book and the slides, opened in a real headless Chromium."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from coursekit import mistakes
from coursekit.book_build import executed
from coursekit.checklist import load as load_checklists
from coursekit.slides import render, slide_cells
from coursekit.sphinx_book import is_note
from coursekit.workshop import assemble
from tests.links import broken_links

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "book/intro.html",
    "notebooks/01_incident.html",
    "exercises/01_diagnose_a_trace.html",
    "notebooks/02_propagation.html",
    "exercises/02_queue_hop.html",
    "notebooks/03_standard.html",
    "exercises/03_provider.html",
    "notebooks/04_instrumentation.html",
    "exercises/04_business_spans.html",
    "notebooks/05_sampling.html",
    "exercises/05_tail_policy.html",
    "notebooks/06_overhead.html",
    "exercises/06_trim_spans.html",
    "notebooks/07_antipatterns.html",
    "exercises/07_redaction_policy.html",
    "notebooks/08_capstone.html",
    "exercises/08_capstone_design.html",
    "book/checklists.html",
    "book/instructor_guide.html",
]


def lesson_plots(view, page: str):
    """Open a lesson page and wait for its first chart; return all its charts."""
    view.open(page)
    plots = view.page.locator(".js-plotly-plot")
    plots.first.wait_for()
    return plots


def answer(quiz, option: int | None) -> str:
    """Pick an option (None: none), press Check, and return the feedback shown."""
    if option is not None:
        quiz.locator("input").nth(option).check()
    quiz.locator("button").click()
    return quiz.locator(".coursekit-feedback").inner_text()


def test_the_book_builds_offline_with_every_notebook_executed(built_book):
    lesson = (built_book / "notebooks" / "01_incident.html").read_text()
    assert "12 checkouts, 2 failed with" in lesson, "the lesson was not executed"
    assert (built_book / "_static" / "plotly.min.js").stat().st_size > 1_000_000
    assert "cdn.plot.ly" not in lesson and "unpkg.com/@jupyter-widgets" not in lesson
    intro = (built_book / "book" / "intro.html").read_text()
    assert ">1. The 3:42 PM incident<" in intro, "lessons are numbered"
    lesson_01 = intro.index(">1. The 3:42 PM incident<")
    assert lesson_01 < intro.index(">Diagnose a trace from its spans<") < intro.index(">2. ")
    exercise = (built_book / "exercises" / "01_diagnose_a_trace.html").read_text()
    assert "not yet" in exercise and "your code here" in exercise


@pytest.mark.parametrize("page", PAGES)
def test_pages_load_without_errors_or_outside_requests(built_book, serve, watch, page):
    view = watch(serve(built_book))
    view.open(page)
    view.page.wait_for_timeout(300)
    assert view.errors == []
    assert view.outside == []


def test_lesson_waterfall_renders_and_quiz_answers_show_feedback(built_book, serve, watch):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/01_incident.html")
    page = view.page
    assert plots.count() == 2, "the waterfall and the service map"
    waterfall = plots.first
    assert waterfall.locator(".barlayer .bars path").count() == 9, "one bar per span"
    assert "payment-provider authorize" in waterfall.inner_text()

    quiz = page.locator(".coursekit-quiz").nth(1)
    assert "Pick an answer first" in answer(quiz, None)
    assert answer(quiz, 0).startswith("Not quite: A.")
    feedback = answer(quiz, 2)
    assert feedback.startswith("Correct: C.")
    assert "none of whose children is an error" in feedback
    assert view.errors == [] and view.outside == []


LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_slides_work_offline(book_out, tmp_path, serve, watch, lesson):
    deck = render(lesson, tmp_path, executed([lesson], book_out)[0])
    view = watch(serve(tmp_path))
    view.open(deck.name)
    page = view.page
    page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()")
    assert page.locator(".reveal .slides > section").count() >= 6
    assert page.locator(".js-plotly-plot").count() >= 1
    page.locator(".js-plotly-plot .main-svg").first.wait_for(state="attached")
    assert page.locator(".coursekit-quiz").count() >= 2, "quizzes keep their HTML form"
    assert "application/vnd.jupyter.widget-view" not in deck.read_text()
    assert view.errors == [] and view.outside == []


def test_lesson_02_shows_the_decoded_header_the_split_trace_and_its_quizzes(
    built_book, serve, watch
):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/02_propagation.html")
    page = view.page
    text = page.inner_text("main")
    assert "parent span id" in text and "sampled: yes" in text, "the decoder's static form"
    assert "one click, 3 traces" in text
    assert plots.count() == 5, "1 trace, 3 split ones, 1 fixed"
    assert answer(page.locator(".coursekit-quiz").first, 2).startswith("Correct: C.")
    assert view.errors == [] and view.outside == []


def test_lesson_03_shows_spans_received_over_otlp(built_book, serve, watch):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/03_standard.html")
    page = view.page
    text = page.inner_text("main")
    assert "the receiver got 9 spans from checkout, frontend, inventory, payment" in text
    assert "payment  payment-provider authorize" in text, "the console exporter's lines"
    assert "415 text/xml" in text and "413 application/json" in text
    assert "still serving: True" in text
    assert "already shutdown" not in text, "each provider needs its own exporter"
    assert plots.first.locator(".barlayer .bars path").count() == 9
    assert view.errors == [] and view.outside == []


def test_lesson_04_charts_render(built_book, serve, watch):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/04_instrumentation.html")
    assert plots.count() == 4, "two waterfalls, the gained chart, the latency chart"
    latency = plots.nth(3)
    assert latency.locator(".boxlayer .trace.boxes").count() == 6, "one box per variant"
    assert "without legacy_store" in latency.inner_text()
    assert "app.customer.tier" in view.page.inner_text("body"), "the gained table"
    assert view.errors == []


def test_lesson_05_charts_and_the_sdk_or_collector_quiz(built_book, serve, watch):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/05_sampling.html")
    page = view.page
    assert plots.count() == 4, "the cost curve, two comparisons, the broken trace"
    assert "47 traces kept of 100: 10 complete, 37 broken" in page.inner_text("body")
    quiz = page.locator(".coursekit-quiz").first
    assert quiz.locator("input").count() == 4
    assert answer(quiz, 3).startswith("Correct: D.")
    assert view.errors == []


def test_lesson_06_chart_calculator_and_quizzes(built_book, serve, watch):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/06_overhead.html")
    page = view.page
    assert plots.count() == 1, "the percentiles of the five variants"
    text = page.inner_text("body")
    assert "1000 spans in the burst, 256 exported, 744 dropped" in text
    assert "Simple: 9 exports per checkout on the request threads" in text
    assert "stays 50 ms under the 300 ms SLO" in text, "the calculator's static form"
    quiz = page.locator(".coursekit-quiz").first
    assert answer(quiz, 3).startswith("Correct: D.")
    assert view.errors == []


# The union of the boxes of what the current slide shows, in view pixels (reveal scales the
# slide; bounding boxes are after scaling). A box that scrolls (an output, a table) counts
# as its own size, not its content's; the slide itself scrolling does not count: content
# below the fold is cut off for the audience.
SLIDE_BOX_JS = """
() => {
  let box = null;
  const add = (r) => {
    if (r.width <= 0 || r.height <= 0) return;
    box = box ? {left: Math.min(box.left, r.left), top: Math.min(box.top, r.top),
                 right: Math.max(box.right, r.right), bottom: Math.max(box.bottom, r.bottom)}
              : {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
  };
  const visit = (el) => {
    if (el.matches("aside.notes")) return;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return;
    add(el.getBoundingClientRect());
    const scrolls = style.overflowX !== "visible" && style.overflowY !== "visible";
    if (scrolls || el.matches(".js-plotly-plot")) return;
    for (const child of el.children) visit(child);
  };
  for (const child of Reveal.getCurrentSlide().children) visit(child);
  return box;
}
"""
VIEW = {"width": 1280, "height": 720}
# Slides too long for one view whatever the CSS: the notebook must split them (give one of
# the cells the test names the slide type "subslide"). Keyed by the first words of the
# slide's first cell; a slide that overflows and is not listed here fails the test. Empty:
# every slide fits.
KNOWN_OVERFLOW: dict[str, set[str]] = {}


def first_words(nb, cells: list[int]) -> str:
    """A slide's name: the first six words of its first cell."""
    text = nb.cells[cells[0]].source.strip().splitlines()[0] if cells else ""
    return " ".join(text.lstrip("# ").split()[:6])


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_slide_overflows_a_1280x720_view(book_out, tmp_path, serve, browser, lesson):
    nb = executed([lesson], book_out)[0]
    deck = render(lesson, tmp_path, nb)
    page = browser.new_page(viewport=VIEW)
    try:
        page.goto(f"{serve(tmp_path)}/{deck.name}")
        page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()")
        page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        slides = slide_cells(nb)
        assert page.evaluate("Reveal.getTotalSlides()") == len(slides)
        overflowing = {}
        for (h, v), cells in slides.items():
            page.evaluate("([h, v]) => Reveal.slide(h, v)", [h, v])
            page.wait_for_timeout(50)
            box = page.evaluate(SLIDE_BOX_JS)
            if box and (
                box["top"] < -1
                or box["left"] < -1
                or box["bottom"] > VIEW["height"] + 1
                or box["right"] > VIEW["width"] + 1
            ):
                tall = round(box["bottom"] - box["top"])
                overflowing[first_words(nb, cells)] = f"slide {h}.{v}, cells {cells}, {tall} px"
    finally:
        page.close()
    known = KNOWN_OVERFLOW.get(lesson.stem, set())
    new = {title: where for title, where in overflowing.items() if title not in known}
    assert not new, f"{lesson.stem}: slides cut off at 1280x720: {new}"
    if overflowing:
        pytest.xfail(f"{lesson.stem} needs its long slides split in the notebook: {overflowing}")


TABLE_WIDTHS_JS = """
() => [...document.querySelectorAll("article table")].map((table) => {
  const column = table.closest(".cell_output, article");
  const t = table.getBoundingClientRect(), c = column.getBoundingClientRect();
  return {right: t.right, width: Math.max(t.width, table.scrollWidth),
          columnRight: c.right, columnWidth: c.width,
          head: table.innerText.slice(0, 60).replace(/\\s+/g, " ")};
})
"""


#: Code and output blocks whose text is wider than the block (it would scroll sideways).
CODE_WIDTHS_JS = """
() => [...document.querySelectorAll("div.cell pre")]
  .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
  .map((pre) => pre.innerText.slice(0, 60).replace(/\\s+/g, " "))
"""


@pytest.mark.parametrize("page", PAGES)
def test_no_table_or_code_is_wider_than_its_column_at_1280px(built_book, serve, browser, page):
    view = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        view.goto(f"{serve(built_book)}/{page}")
        tables = view.evaluate(TABLE_WIDTHS_JS)
        code = view.evaluate(CODE_WIDTHS_JS)
    finally:
        view.close()
    wide = [
        t["head"]
        for t in tables
        if t["right"] > t["columnRight"] + 1 or t["width"] > t["columnWidth"] + 1
    ]
    assert wide == [], f"{page}: tables wider than their column: {wide}"
    assert code == [], f"{page}: code that scrolls sideways: {code}"


def words(markdown: str, count: int = 6) -> str:
    """The first words of a markdown text, without its markup: what a page would show."""
    plain = re.sub(r"[*_`#>]|\]\([^)]*\)|\[", "", markdown)
    return " ".join(plain.split()[:count])


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_speaker_notes_are_in_the_deck_and_not_in_the_book(book_out, built_book, tmp_path, lesson):
    nb = executed([lesson], book_out)[0]
    notes = [cell.source for cell in nb.cells if is_note(cell)]
    deck = render(lesson, tmp_path, nb).read_text()
    assert deck.count('<aside class="notes">') == len(notes)
    page = (built_book / "notebooks" / f"{lesson.stem}.html").read_text()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    for note in notes:
        assert words(note) not in text, f"a speaker note shows in the book: {note[:80]!r}"


def test_every_internal_link_of_the_book_leads_to_a_page_and_anchor(built_book):
    """Sphinx's -n -W catches a dangling {ref} or {doc}; this reads the HTML it wrote."""
    assert broken_links(built_book) == []


def test_the_checklists_page_links_every_item_to_its_section(built_book):
    page = (built_book / "book" / "checklists.html").read_text()
    data = load_checklists()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    for checklist in data.lists:
        assert checklist.title in text
    assert text.count("☐") == len(data.items)
    for ref in {ref for item in data.items for ref in item.refs}:
        lesson = data.lesson_of(ref)
        if (built_book / f"{lesson}.html").exists():
            assert f'href="../{lesson}.html#{ref}"' in page, ref
        else:  # a lesson not in this book yet: its section's label, as text
            assert f"{ref} (lesson {lesson.split('/')[-1][:2]}, to come)" in text


def test_the_instructor_guide_lists_each_graders_mistakes(built_book):
    page = (built_book / "book" / "instructor_guide.html").read_text()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    for exercise in mistakes.exercises():
        assert f"Exercise {exercise.number}: {exercise.title}" in text
        for mistake in exercise.honest:
            assert f"…{' '.join(mistake.hint.split())}…" in text, mistake.name
    assert "Half-day agenda" in text and "Full-day agenda" in text
    assert "05. Sampling" in text, "the lesson lengths table"


def test_the_workshop_index_opens_every_deck_and_the_guide_offline(
    book_out, tmp_path, serve, watch
):
    out = tmp_path / "workshop"
    index = assemble(out, book_out)
    assert broken_links(out) == []
    view = watch(serve(out))
    view.open(index.name)
    decks = view.page.locator("a.deck")
    hrefs = [decks.nth(i).get_attribute("href") for i in range(decks.count())]
    assert hrefs == [f"{p.stem}.slides.html" for p in LESSONS]
    for href in hrefs:
        view.open(href)
        view.page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()")
        assert view.page.locator("aside.notes").count() >= 1, f"{href} has speaker notes"
    view.open(index.name)
    view.page.get_by_role("link", name="The instructor's guide").click()
    view.page.wait_for_load_state("load")
    assert view.page.locator("h1").first.inner_text().startswith("Instructor")


def test_lesson_08_links_its_sections_and_grades_prose_with_a_static_rubric(
    built_book, serve, watch
):
    view = watch(serve(built_book))
    plots = lesson_plots(view, "notebooks/08_capstone.html")
    page = view.page
    assert plots.count() == 1, "what each design costs against the budget"
    for label in ("capstone-brief", "capstone-instrumentation", "capstone-sampling",
                  "capstone-backend", "capstone-pii", "capstone-performance",
                  "capstone-rollout", "capstone-costs-doubled"):  # fmt: skip
        assert page.locator(f"[id='{label}']").count() == 1, label
    assert "Grafana Cloud" in page.inner_text("body")
    quiz = page.locator(".coursekit-quiz").first
    assert answer(quiz, 0).startswith("Correct: A.")
    view.open("exercises/08_capstone_design.html")
    rubrics = page.locator(".coursekit-rubric")
    assert rubrics.count() == 7, "six parts and month 6"
    model = rubrics.first.locator("details")
    assert not model.locator("p").is_visible()
    model.locator("summary").click()
    assert "Zero-code everywhere first" in model.inner_text()
    assert view.errors == [] and view.outside == []
