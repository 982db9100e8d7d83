"""Multiple-choice quizzes whose banks are data files (``coursekit/quizzes/*.yaml``).

A displayed quiz is one output with two representations:

- an ipywidgets widget (pick, check, see why, try again) that JupyterLab draws;
- a self-contained HTML form with a few lines of inline JavaScript, drawn by the static
  book and the slides, which have no kernel. The book is told to prefer it (``_config.yml``).

Why not jupyterquiz: it renders HTML and JavaScript as two separate outputs with random
ids, so it cannot share one output with the widget, and its outputs differ on every run.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .widget_bundle import with_widget

BANKS = Path(__file__).parent / "quizzes"
LABELS = {"A": "ABCDEFGH", "1": "12345678"}


@dataclass(frozen=True)
class Answer:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Quiz:
    id: str
    question: str
    answers: tuple[Answer, ...]
    labels: str = "A"

    def label(self, index: int) -> str:
        return LABELS[self.labels][index]

    def index_of(self, choice: int | str) -> int:
        """Accepts an option's label ("C", "2") or its 0-based position."""
        if isinstance(choice, str):
            key = choice.strip().upper()
            for i in range(len(self.answers)):
                if self.label(i) == key:
                    return i
            options = ", ".join(self.label(i) for i in range(len(self.answers)))
            raise ValueError(f"{choice!r} is not an option here; pick one of {options}")
        if not 0 <= choice < len(self.answers):
            raise ValueError(f"option {choice} does not exist; there are {len(self.answers)}")
        return choice

    def check(self, choice: int | str) -> Feedback:
        """Feedback on one choice: whether it is right, and why."""
        i = self.index_of(choice)
        answer = self.answers[i]
        verdict = "Correct" if answer.correct else "Not quite"
        return Feedback(answer.correct, f"{verdict}: {self.label(i)}. {answer.why}")

    # --- display --------------------------------------------------------------------------
    def widget(self):
        import ipywidgets as widgets

        options = widgets.RadioButtons(
            options=[(f"{self.label(i)}. {a.text}", i) for i, a in enumerate(self.answers)],
            value=None,
            layout={"width": "max-content"},
        )
        button = widgets.Button(description="Check", button_style="primary")
        feedback = widgets.HTML()

        def on_check(_):
            if options.value is None:
                feedback.value = "<i>Pick an answer first.</i>"
                return
            result = self.check(options.value)
            colour = "#1a7f37" if result.correct else "#b42318"
            feedback.value = f"<div style='color:{colour}'>{html.escape(result.message)}</div>"

        button.on_click(on_check)
        question = widgets.HTML(f"<b>{html.escape(self.question)}</b>")
        return widgets.VBox([question, options, button, feedback])

    def static_html(self) -> str:
        """The quiz as HTML that works with no kernel: radio buttons, a Check button, feedback."""
        box_id = f"quiz-{self.id}"
        options = "".join(
            f"<label style='display:block;margin:.2em 0'>"
            f"<input type='radio' name='{box_id}' value='{i}'> "
            f"{self.label(i)}. {html.escape(a.text)}</label>"
            for i, a in enumerate(self.answers)
        )
        feedback = json.dumps(
            [[a.correct, self.check(i).message] for i, a in enumerate(self.answers)]
        )
        # Inline handler: no <script> tag to load, nothing fetched, works in book and slides.
        on_click = (
            "var box=this.closest('.coursekit-quiz'),out=box.querySelector('.coursekit-feedback'),"
            "pick=box.querySelector('input:checked');"
            "if(!pick){out.innerHTML='<i>Pick an answer first.</i>';return;}"
            f"var f={feedback}[pick.value];"
            "out.style.color=f[0]?'#1a7f37':'#b42318';out.textContent=f[1];"
        )
        return (
            f"<div class='coursekit-quiz' id='{box_id}' style='border:1px solid #ccc;"
            "border-radius:6px;padding:.8em;margin:.5em 0'>"
            f"<p><b>{html.escape(self.question)}</b></p>{options}"
            f"<button type='button' class='coursekit-check' "
            f'onclick="{html.escape(on_click)}">Check</button>'
            "<div class='coursekit-feedback' style='margin-top:.5em' aria-live='polite'></div>"
            "</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self._text(), "text/html": self.static_html()}
        return with_widget(bundle, self.widget)

    def _text(self) -> str:
        lines = [self.question]
        lines += [f"  {self.label(i)}. {a.text}" for i, a in enumerate(self.answers)]
        lines.append("(In Jupyter: pick an answer and press Check.)")
        return "\n".join(lines)


# --- banks ----------------------------------------------------------------------------------
def bank_problems(data, name: str = "bank") -> list[str]:
    """What is wrong with a bank's data (an empty list when it is fine)."""
    if not isinstance(data, list) or not data:
        return [f"{name}: a bank is a non-empty list of questions"]
    problems, seen = [], set()
    for n, q in enumerate(data, 1):
        where = f"{name} question {n}"
        if not isinstance(q, dict):
            problems.append(f"{where}: is not a mapping")
            continue
        qid = q.get("id")
        if not qid or not isinstance(qid, str):
            problems.append(f"{where}: needs an id")
        elif qid in seen:
            problems.append(f"{where}: id {qid!r} is used twice")
        seen.add(qid)
        if not str(q.get("question", "")).strip():
            problems.append(f"{where}: needs a question")
        if q.get("labels", "A") not in LABELS:
            problems.append(f"{where}: labels must be one of {sorted(LABELS)}")
        answers = q.get("answers")
        if not isinstance(answers, list) or not 2 <= len(answers) <= 8:
            problems.append(f"{where}: needs 2 to 8 answers")
            continue
        for k, a in enumerate(answers, 1):
            if not isinstance(a, dict) or set(a) != {"text", "correct", "why"}:
                problems.append(f"{where} answer {k}: needs exactly text, correct and why")
            elif not str(a["why"]).strip() or not str(a["text"]).strip():
                problems.append(f"{where} answer {k}: text and why must not be empty")
            elif not isinstance(a["correct"], bool):
                problems.append(f"{where} answer {k}: correct must be true or false")
        if sum(1 for a in answers if isinstance(a, dict) and a.get("correct") is True) != 1:
            problems.append(f"{where}: needs exactly one correct answer")
    return problems


@cache
def load_bank(name: str) -> dict[str, Quiz]:
    """The quizzes of ``quizzes/<name>.yaml`` by id. Raises ValueError if the bank is invalid."""
    path = BANKS / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = bank_problems(data, path.name)
    if problems:
        raise ValueError("\n".join(problems))
    return {
        q["id"]: Quiz(
            id=q["id"],
            question=q["question"].strip(),
            answers=tuple(Answer(a["text"], a["correct"], a["why"].strip()) for a in q["answers"]),
            labels=q.get("labels", "A"),
        )
        for q in data
    }


def quiz(bank: str, quiz_id: str) -> Quiz:
    """One quiz from a bank: ``quiz("01_incident", "disconnected-logs")``."""
    quizzes = load_bank(bank)
    if quiz_id not in quizzes:
        raise KeyError(f"no quiz {quiz_id!r} in bank {bank!r}; it has {', '.join(quizzes)}")
    return quizzes[quiz_id]
