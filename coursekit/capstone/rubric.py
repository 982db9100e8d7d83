"""The prose parts of a design, self-assessed: criteria to tick and a model answer.

``assess(design, part)`` shows the learner's own ``why:`` for that part beside the
rubric (rubric.yaml). In Jupyter: a check box per criterion, a score, and the model
answer behind a button. In the book and slides (no kernel): the same as static HTML,
the model answer folded.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

import yaml

from ..widget_bundle import with_widget
from .design import DesignError, get, load

RUBRIC_FILE = Path(__file__).with_name("rubric.yaml")


@functools.cache
def rubric() -> dict:
    return yaml.safe_load(RUBRIC_FILE.read_text(encoding="utf-8"))


class Assessment:
    def __init__(self, part: str, answer: str) -> None:
        if part not in rubric():
            raise ValueError(f"no rubric for {part!r}; parts: {', '.join(rubric())}")
        self.part, self.answer = part, answer.strip()
        self.criteria = rubric()[part]["criteria"]
        self.model = " ".join(rubric()[part]["model"].split())

    def _text(self) -> str:
        lines = [f"Your answer ({self.part}): {self.answer or '(empty)'}", "Does it cover:"]
        lines += [f"  [ ] {c}" for c in self.criteria]
        return "\n".join([*lines, f"A model answer: {self.model}"])

    def _html(self) -> str:
        items = "".join(f"<li>&#9744; {html.escape(c)}</li>" for c in self.criteria)
        return (
            "<div class='coursekit-rubric' style='border:1px solid #bbb;border-radius:6px;"
            "padding:.6em;margin:.5em 0'>"
            f"<p><b>Your answer</b> ({html.escape(self.part)}): "
            f"{html.escape(self.answer) or '<i>(empty)</i>'}</p>"
            f"<p><b>Does it cover:</b></p><ul style='list-style:none'>{items}</ul>"
            f"<details><summary>A model answer</summary><p>{html.escape(self.model)}</p>"
            "</details></div>"
        )

    def widget(self):
        import ipywidgets as widgets

        boxes = [widgets.Checkbox(description=c, indent=False, layout={"width": "auto"})
                 for c in self.criteria]  # fmt: skip
        score = widgets.HTML()
        model = widgets.HTML(f"<p><b>A model answer:</b> {html.escape(self.model)}</p>")
        model.layout.display = "none"
        show = widgets.Button(description="Show the model answer")

        def update(_=None):
            ticked = sum(b.value for b in boxes)
            score.value = f"<b>{ticked} of {len(boxes)}</b> covered"

        def reveal(_):
            model.layout.display = None

        for box in boxes:
            box.observe(update, names="value")
        show.on_click(reveal)
        update()
        mine = html.escape(self.answer) or "<i>(empty)</i>"
        head = widgets.HTML(f"<p><b>Your answer</b> ({self.part}): {mine}</p>"
                            "<p><b>Tick what it covers:</b></p>")  # fmt: skip
        return widgets.VBox([head, *boxes, score, show, model])

    def _repr_mimebundle_(self, include=None, exclude=None):
        return with_widget({"text/plain": self._text(), "text/html": self._html()}, self.widget)


def assess(source, part: str) -> Assessment:
    """The rubric for ``part`` beside the ``why:`` the design gives it."""
    try:
        design = load(source, keep_month_6=True)
        answer = get(design, f"{part}.why", "")
    except DesignError as error:
        answer = f"(cannot read the design: {error})"
    return Assessment(part, str(answer or ""))
