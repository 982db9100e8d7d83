"""Grader catalogues: each notebook executed once per session, and the kit restored
after each cheat."""

from __future__ import annotations

import pytest

from tests.graders.catalogue import NotebookRuns, kit_restored


@pytest.fixture(scope="session")
def notebook_runs() -> NotebookRuns:
    return NotebookRuns()


@pytest.fixture(autouse=True)
def restore_the_kit():
    """Cheats monkeypatch the kit; put it back after each test."""
    with kit_restored():
        yield
