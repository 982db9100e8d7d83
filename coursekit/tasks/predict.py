"""Predict, then run: the learner commits to an answer before the live result.

``predict(question, options)`` shows the options (radio buttons in Jupyter; in the book,
which has no kernel, the same options as static HTML). A later cell measures and calls
``reveal(prediction, measured, why)``, which compares the pick with the measurement. With
no pick (a notebook run unattended) it shows the measurement alone, the same every run.

A guess can also be a value the learner writes in a cell (``my_guess = 40``, or None
until they do): ``reveal(my_guess, measured, what="spans received")``.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field

from ..widget_bundle import with_widget


@dataclass
class Prediction:
    question: str
    options: tuple
    #: The option the learner picked in the widget, or None.
    value: object = field(default=None)

    def widget(self):
        import ipywidgets as widgets

        choice = widgets.RadioButtons(
            options=[(str(option), i) for i, option in enumerate(self.options)],
            value=None,
            layout={"width": "max-content"},
        )

        def picked(change):
            self.value = self.options[change["new"]]

        choice.observe(picked, names="value")
        note = widgets.HTML("<i>Pick one, then run the next cells.</i>")
        return widgets.VBox([widgets.HTML(f"<b>{html.escape(self.question)}</b>"), choice, note])

    def _text(self) -> str:
        lines = [f"Predict: {self.question}", *(f"  - {option}" for option in self.options)]
        return "\n".join([*lines, "(In Jupyter: pick one, then run the next cells.)"])

    def _html(self) -> str:
        items = "".join(f"<li>{html.escape(str(option))}</li>" for option in self.options)
        return (
            "<div class='coursekit-predict' style='border:1px dashed #888;border-radius:6px;"
            f"padding:.6em;margin:.5em 0'><p><b>Predict:</b> {html.escape(self.question)}</p>"
            f"<ul>{items}</ul><p><i>Pick one before you read on.</i></p></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return with_widget({"text/plain": self._text(), "text/html": self._html()}, self.widget)


def predict(question: str, options) -> Prediction:
    """Ask for a prediction among ``options`` (numbers or short texts)."""
    return Prediction(question, tuple(options))


def reveal(prediction, measured, why: str = "", *, what: str | None = None) -> None:
    """Print the measured answer, next to the learner's pick or written guess if any."""
    if what is not None:  # a guess written in a cell, not picked in a widget
        _reveal_guess(prediction, measured, what)
        return
    if prediction.value is None:
        print(f"Measured: {measured}. (No prediction picked above.)")
    elif prediction.value == measured:
        print(f"You predicted {prediction.value}. Measured: {measured}. Right.")
    else:
        print(f"You predicted {prediction.value}. Measured: {measured}. Not this time.")
    print(textwrap.fill(why, width=76))


def _reveal_guess(guess, actual, what: str) -> None:
    if guess is None:
        print(f"{what}: {actual}. (No guess written above: next time, commit to one first.)")
    elif guess == actual:
        print(f"{what}: {actual}. You predicted it.")
    else:
        print(f"{what}: {actual}. You guessed {guess!r}: read on for why.")
