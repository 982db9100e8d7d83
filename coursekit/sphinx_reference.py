"""Sphinx side of the book's Reference part (checklists, instructor's guide).

- Links to lessons the course plans but this book does not hold yet (the notebooks named
  in ``checklists.yaml``'s ``lessons``) render as plain text, and the build log lists
  them. Anything else that dangles still fails the build (``-n -W``): a label missing
  from a lesson that *is* in the book, a mistyped page.
- ``{learner-mistakes}``: the mistakes each grader recognises, read from its catalogue
  (see mistakes.py), with the hint the learner gets.
- ``{lesson-lengths}``: each lesson's size (words, slides, tasks, quizzes), read from the
  notebooks, for planning an agenda.
"""

from __future__ import annotations

import posixpath
import re

import nbformat
from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import mistakes
from .book_build import ROOT, toc_notebooks
from .checklist import load
from .sphinx_book import is_note

LOGGER = logging.getLogger(__name__)


def planned_pages() -> set[str]:
    return set(load().lessons.values())


def _absent(env, docname: str) -> bool:
    return docname in planned_pages() and docname not in env.found_docs


def _remember(env, what: str) -> None:
    if not hasattr(env, "coursekit_planned_links"):
        env.coursekit_planned_links = set()
    env.coursekit_planned_links.add(what)


def _missing_reference(app, env, node, contnode):
    """A {ref} or {doc} to a planned lesson that is not in the book yet: its text."""
    target, kind = node.get("reftarget", ""), node.get("reftype")
    if kind == "ref" and "-" in target:
        prefix = target.split("-", 1)[0]
        docname = load().lessons.get(prefix)
    elif kind == "doc":
        base = posixpath.dirname(node.get("refdoc", ""))
        docname = posixpath.normpath(posixpath.join(base, target))
    else:
        return None
    if docname and _absent(env, docname):
        _remember(env, f"{node.get('refdoc')} -> {docname} ({target})")
        lesson = posixpath.basename(docname)[:2]
        return nodes.inline(text=f"{contnode.astext()} (lesson {lesson}, to come)")
    return None


class PlannedLessonLinks(SphinxPostTransform):
    """A Markdown link ``[text](06_overhead.ipynb)`` to a planned lesson not in the book."""

    default_priority = 8  # before myst-parser's resolver (9), which would warn

    def run(self, **kwargs) -> None:
        from sphinx import addnodes

        for node in list(self.document.findall(addnodes.pending_xref)):
            target = node.get("reftarget", "")
            if node.get("reftype") != "myst" or not target.endswith(".ipynb"):
                continue
            base = posixpath.dirname(node.get("refdoc", self.env.docname))
            docname = posixpath.normpath(posixpath.join(base, target[: -len(".ipynb")]))
            if _absent(self.env, docname):
                _remember(self.env, f"{self.env.docname} -> {docname}")
                node.replace_self(node.children)


def _report(app, exception) -> None:
    links = sorted(getattr(app.env, "coursekit_planned_links", ()))
    if exception is None and links:
        LOGGER.info("links to lessons not in this book yet (shown as text): %s", "; ".join(links))


class LearnerMistakes(SphinxDirective):
    """Per exercise, the wrong answers its grader's catalogue holds and the hint for each."""

    def run(self):
        self.env.note_dependency(str(mistakes.CATALOGUES))
        result = []
        for exercise in mistakes.exercises():
            for path in mistakes.CATALOGUES.glob(f"test_ex{exercise.number}.py"):
                self.env.note_dependency(str(path))
            title = nodes.paragraph()
            title += nodes.strong(text=f"Exercise {exercise.number}: {exercise.title}")
            result.append(title)
            items = nodes.bullet_list()
            for mistake in exercise.honest:
                para = nodes.paragraph()
                para += nodes.Text(f"{mistake.name[0].upper()}{mistake.name[1:]}. The hint: ")
                para += nodes.literal(text=f"…{mistake.hint}…")
                items += nodes.list_item("", para)
            result.append(items)
            cheats = exercise.cheats
            if cheats:
                para = nodes.paragraph()
                examples = "; ".join(c.name.removeprefix("cheat: ") for c in cheats[:3])
                para += nodes.emphasis(
                    text=f"And {len(cheats)} cheats the grader refuses, for example: {examples}."
                )
                result.append(para)
        return result


def lesson_lengths() -> list[dict]:
    """Each lesson of the toc: words of teaching, slides, tasks, quizzes."""
    rows = []
    for path in toc_notebooks():
        if path.parent.name != "notebooks":
            continue
        nb = nbformat.read(path, as_version=4)
        text = [c.source for c in nb.cells if c.cell_type == "markdown" and not is_note(c)]
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
        rows.append(
            {
                "lesson": path.stem,
                "title": next(
                    (line[2:] for s in text for line in s.splitlines() if line.startswith("# ")),
                    path.stem,
                ),
                "words": sum(len(s.split()) for s in text),
                "slides": sum(k in ("slide", "subslide") for k in kinds),
                "tasks": sum(
                    len(re.findall(r"^#+ Your turn|\*\*Your turn", s, re.M)) for s in text
                ),
                "quizzes": sum(s.count("ck.quiz(") for s in code),
            }
        )
    return rows


class LessonLengths(SphinxDirective):
    def run(self):
        rows = lesson_lengths()
        for row in rows:
            self.env.note_dependency(str(ROOT / "notebooks" / f"{row['lesson']}.ipynb"))
        head = ["lesson", "words", "slides", "your-turn tasks", "quizzes"]
        table = nodes.table()
        group = nodes.tgroup(cols=len(head))
        table += group
        for _ in head:
            group += nodes.colspec(colwidth=1)
        thead = nodes.thead()
        group += thead
        thead += self._row(head)
        body = nodes.tbody()
        group += body
        for r in rows:
            body += self._row(
                [
                    f"{r['lesson'][:2]}. {r['title']}",
                    r["words"],
                    r["slides"],
                    r["tasks"],
                    r["quizzes"],
                ]
            )
        return [table]

    @staticmethod
    def _row(values) -> nodes.row:
        row = nodes.row()
        for value in values:
            row += nodes.entry(
                "", nodes.paragraph(text=f"{value:,}" if isinstance(value, int) else value)
            )
        return row


def setup(app):
    app.connect("missing-reference", _missing_reference)
    app.connect("build-finished", _report)
    app.add_post_transform(PlannedLessonLinks)
    app.add_directive("learner-mistakes", LearnerMistakes)
    app.add_directive("lesson-lengths", LessonLengths)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
