""" "Predict, then run": the learner writes a guess in a cell before the cell that shows the
answer, and the reveal says how close it was. Unattended (nbval, the book) the guess is
``None`` and the reveal says so, so the output is the same every run.
"""

from __future__ import annotations


def reveal(guess, actual, *, what: str) -> None:
    """Print the result next to the learner's guess (a number or a choice)."""
    if guess is None:
        print(f"{what}: {actual}. (No guess written above: next time, commit to one first.)")
    elif guess == actual:
        print(f"{what}: {actual}. You predicted it.")
    else:
        print(f"{what}: {actual}. You guessed {guess!r}: read on for why.")
