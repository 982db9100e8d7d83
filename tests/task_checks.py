"""What a "your turn" check printed, for the tests of the lessons' tasks (both task files)."""

from __future__ import annotations


def outcome(check, answer, capsys) -> str:
    """Run ``check(answer)`` and return its one line, unwrapped."""
    capsys.readouterr()
    check(answer)
    return " ".join(capsys.readouterr().out.split())


def assert_passes(check, answer, capsys):
    said = outcome(check, answer, capsys)
    assert said.startswith("✔ passed:"), said


def assert_hint(check, answer, hint, capsys):
    said = outcome(check, answer, capsys)
    assert said.startswith("✘ not yet:"), said
    assert hint in said, said
