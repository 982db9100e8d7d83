"""How every check talks to the learner: one line that passed, or one hint."""

from __future__ import annotations

import sys
import textwrap

from .harness import NotYet, Outcome, _trusted, call_learner_code, evaluate  # noqa: F401

# Dingbats marks, not emoji: they are in common fonts (DejaVu), so they show everywhere.
WIDTH = 76  # wrapped, so a hint reads without scrolling in the notebook and the book


def line(outcome: Outcome) -> str:
    mark = "✔ passed:" if outcome.passed is True else "✘ not yet:"  # literals: not patchable
    text = f"{mark} {outcome.message}"
    # Break only at spaces (a version like 1.2.0-rc.1 or a long id stays whole), so the
    # words must come out exactly as they went in.
    wrapped = textwrap.fill(
        text, width=WIDTH, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
    )
    if wrapped.split() != text.split():  # only line breaks may change, never a word
        raise RuntimeError("textwrap was changed by your code: restart the kernel.")
    return wrapped


def _say(outcome: Outcome) -> None:
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not all(_trusted(getattr(type(stream), m, None)) for m in ("write", "flush")):
            # A stream that rewrites what the check prints is not a place for a verdict.
            raise RuntimeError(f"sys.{name} was replaced by your code: restart the kernel.")
    print(line(outcome))


def passed(message: str) -> None:
    _say(Outcome(True, message))


def not_yet(hint: str) -> None:
    _say(Outcome(False, hint))


def run_check(check, *args) -> None:
    """Run a check function (it returns the passed message or raises NotYet with a hint)
    and print the outcome. Returns nothing, so a check cell shows only the printed line."""
    _say(evaluate(check, *args))
