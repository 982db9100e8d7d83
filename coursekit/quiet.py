"""Quiet one library logger for a while: the kit says what went wrong in its own words."""

from __future__ import annotations

import contextlib
import logging


@contextlib.contextmanager
def quiet_logger(name: str, level: int = logging.ERROR):
    """Raise logger ``name`` to ``level`` inside the block, then put its level back (a
    lesson's kernel keeps running after the block, with the learner's own logging)."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(level)
    try:
        yield logger
    finally:
        logger.setLevel(before)
