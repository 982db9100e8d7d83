""" "Your turn" tasks inside the lessons: instant checks that print one line, the way the
exercise checks do (``coursekit/checks/report.py``): "✔ passed: ..." or "✘ not yet: <hint>".

One module per lesson (``lesson04.py``, ...); ``predict.py`` for "predict, then run".
"""

from ..checks.report import NotYet, run_check

__all__ = ["NotYet", "run_check"]
