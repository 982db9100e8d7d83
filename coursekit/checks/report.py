"""How every check talks to the learner: one line that passed, or one hint."""

from __future__ import annotations

import textwrap
import traceback


class NotYet(Exception):
    """Raised inside a check to stop at the first problem, with the hint to show."""


# Dingbats marks, not emoji: they are in common fonts (DejaVu), so they show everywhere.
WIDTH = 76  # wrapped, so a hint reads without scrolling in the notebook and the book


def _say(mark: str, text: str) -> None:
    print(textwrap.fill(f"{mark} {text}", width=WIDTH, subsequent_indent="  "))


def passed(message: str) -> None:
    _say("✔ passed:", message)


def not_yet(hint: str) -> None:
    _say("✘ not yet:", hint)


def call_learner_code(function, *args, name: str | None = None):
    """Call the learner's function; turn an exception into a hint instead of a traceback."""
    name = name or getattr(function, "__name__", "your function")
    try:
        return function(*args)
    except Exception as error:  # the learner's bug, reported in one line
        frame = traceback.extract_tb(error.__traceback__)[-1]
        raise NotYet(
            f"{name} raised {type(error).__name__}: {error} (line {frame.lineno}: "
            f"{(frame.line or '').strip()})"
        ) from None


def run_check(check, *args) -> None:
    """Run a check function that raises NotYet with a hint; print the outcome.

    Returns nothing, so a check cell shows only the printed line.
    """
    try:
        message = check(*args)
    except NotYet as hint:
        not_yet(str(hint))
        return
    passed(message)
