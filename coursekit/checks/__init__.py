"""Exercise checks: each prints one fixed "passed" line, or a hint that says what is off.

Every check (``ex01`` ... ``ex05``) runs on one harness (``harness.py``): the learner's code
runs safely (a hint, never a traceback wall; a timeout for hangs), spans are read as
``SpanRecord``s from one in-memory ``Recording``, and a verdict is refused when the
learner's code replaced part of the check, the kit or the SDK. ``report.py`` prints it.

Each check grades behaviour on data it makes up (seeded, not what the exercise shows);
the catalogues of right answers, wrong answers and cheats are in ``tests/graders/``.
The check cells of an exercise are compared by nbval with the "passed" line stored in the
notebook, so a learner's work is graded by re-running the notebook (``make grade``), and
``exercises/conftest.py`` refuses a check cell that was edited or untagged.
"""
