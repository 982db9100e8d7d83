"""Exercise checks: each prints one fixed "passed" line, or a hint that says what is off.

The check cells of an exercise are compared by nbval with the "passed" line stored in the
notebook, so a learner's work is graded by re-running the notebook (``make grade``).
"""
