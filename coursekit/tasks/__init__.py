"""The "your turn" checks of the lessons: one line that passed, or a hint that says what is off.

Each ``lessonNN.py`` runs the learner's code on data it makes itself and prints the
outcome in the exercise checks' style (``checks/report.py``): ``✔ passed: ...`` or
``✘ not yet: <hint>``. A learner's exception becomes a hint, never a traceback.
``predict.py`` is for "predict, then run".
"""

from ..checks.report import NotYet, call_learner_code, run_check

__all__ = ["NotYet", "call_learner_code", "run_check"]
