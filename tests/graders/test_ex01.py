"""Exercise 01 (diagnose a trace from its spans): its catalogue of answers."""

from __future__ import annotations

import pytest

from coursekit.checks import ex01
from tests.graders.catalogue import assert_catalogue, grade, learner

SOLUTION = """
def diagnose(trace):
    error_parents = {span.parent_id for span in trace if span.is_error}
    culprits = [span for span in trace if span.is_error and span.span_id not in error_parents]
    failing_service = culprits[0].service if culprits else None
    children_ms = {}
    for span in trace:
        children_ms[span.parent_id] = children_ms.get(span.parent_id, 0) + span.duration_ms
    time_sink = max(trace, key=lambda span: span.duration_ms - children_ms.get(span.span_id, 0))
    return failing_service, time_sink.name
"""


def answer(source: str):
    return learner(source, "diagnose")


RIGHT = {
    "the solution": SOLUTION,
    "a children map, walking down the error chain from the root": """
from collections import defaultdict

def diagnose(trace):
    children = defaultdict(list)
    for span in trace:
        children[span.parent_id].append(span)
    (root,) = children[None]
    culprit = None
    node = root if root.is_error else None
    while node is not None:
        culprit = node
        node = next((c for c in children[node.span_id] if c.is_error), None)
    def self_ns(span):
        return (span.end_ns - span.start_ns) - sum(c.end_ns - c.start_ns
                                                  for c in children[span.span_id])
    sink = sorted(trace, key=self_ns)[-1]
    return (culprit.service if culprit else None, sink.name)
""",
    "ids and a list, returned as a list": """
def diagnose(trace):
    ids = {s.span_id: s for s in trace}
    bad_parents = set()
    for s in trace:
        if s.status == "ERROR" and s.parent_id in ids:
            bad_parents.add(s.parent_id)
    starts = [s for s in trace if s.status == "ERROR" and s.span_id not in bad_parents]
    best, best_self = None, float("-inf")
    for s in trace:
        own = s.duration_ms
        for c in trace:
            if c.parent_id == s.span_id:
                own -= c.duration_ms
        if own > best_self:
            best, best_self = s, own
    return [starts[0].service if starts else None, best.name]
""",
    "a namedtuple, worked out in a thread pool": """
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

Diagnosis = namedtuple("Diagnosis", "failing_service time_sink")

def self_time(trace, span):
    return span.duration_ms - sum(c.duration_ms for c in trace if c.parent_id == span.span_id)

def diagnose(trace):
    errors = {s.span_id for s in trace if s.is_error}
    culprit = next((s for s in trace if s.is_error
                    and not any(c.parent_id == s.span_id for c in trace if c.span_id in errors)),
                   None)
    with ThreadPoolExecutor(2) as pool:
        times = list(pool.map(lambda s: self_time(trace, s), trace))
    sink = trace[times.index(max(times))]
    return Diagnosis(culprit and culprit.service, sink.name)
""",
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = grade(ex01._check, answer(RIGHT[name]))
    assert outcome.passed, outcome.message


FRAMES = """
    for frame in frames.values():
        while frame is not None:
            scenario = frame.f_locals.get("scenario")
            if scenario is not None:
                return scenario.failing_service, scenario.time_sink
            frame = frame.f_back
    return None, None
"""
SINK = """
    children_ms = {}
    for span in trace:
        children_ms[span.parent_id] = children_ms.get(span.parent_id, 0) + span.duration_ms
    sink = max(trace, key=lambda span: span.duration_ms - children_ms.get(span.span_id, 0)).name
"""
CULPRIT = """
    error_parents = {span.parent_id for span in trace if span.is_error}
    culprits = [span for span in trace if span.is_error and span.span_id not in error_parents]
"""


def diagnose(body: str) -> str:
    return "def diagnose(trace):" + body


WRONG = {
    "unsolved": ("def diagnose(trace):\n    ...", "diagnose returned None: return a pair"),
    "an empty answer": (diagnose("\n    return ()"), "diagnose returned (): return a pair"),
    "the root instead of the culprit": (
        diagnose(SINK + "    return (trace[0].service if any(s.is_error for s in trace) "
                 "else None), sink"), "where the error surfaced"),
    "the longest span": (diagnose(CULPRIT + "    return (culprits[0].service if culprits "
                                  "else None), max(trace, key=lambda s: s.duration_ms).name"),
                         "most of its time is spent in its children"),
    "all descendants subtracted": (diagnose(CULPRIT + """
    kids = {}
    for s in trace:
        kids.setdefault(s.parent_id, []).append(s)
    below = lambda i: sum(c.duration_ms + below(c.span_id) for c in kids.get(i, []))
    return (culprits[0].service if culprits else None), max(
        trace, key=lambda s: s.duration_ms - below(s.span_id)).name
"""), "(not of all its descendants)"),
    "duration minus the longest child only": (diagnose(CULPRIT + """
    def own(span):
        kids = [c.duration_ms for c in trace if c.parent_id == span.span_id]
        return span.duration_ms - max(kids, default=0)
    return (culprits[0].service if culprits else None), max(trace, key=own).name
"""), "(seed 106) has no error, the time went into 'lookup rates'"),
    "a span's name as the service": (
        diagnose(CULPRIT + SINK + "    return (culprits[0].name if culprits else None), sink"),
        "is a span's name"),
    "the span itself": (diagnose(CULPRIT + SINK + "    return (culprits[0] if culprits else "
                                 "None), sink"), "should be a name (a str) or None"),
    "the first error span in list order": (
        diagnose(SINK + "    errors = [s for s in trace if s.is_error]\n"
                 "    return (errors[-1].service if errors else None), sink"),
        "(seed 102) fails below the root, the failing service is not 'ledger'"),
    "no error: a crash": (diagnose(CULPRIT + SINK + "    return culprits[0].service, sink"),
                          "diagnose raised IndexError"),
    "the least self time": (diagnose(CULPRIT + SINK.replace("max(", "min(")
                                     + "    return (culprits[0].service if culprits else None),"
                                     " sink"), "the time went into"),
    # Cheats: right-looking output by the wrong means.
    "cheat: the answer of the shop's example, hard-coded": (
        diagnose('\n    return ("payment", "payment-provider authorize")'),
        "no span has status ERROR, so failing_service should be None"),
    "cheat: the service the shop's scenarios blame, hard-coded": (
        diagnose(SINK + "    return ('payment' if any(s.is_error for s in trace) else None), sink"),
        "'payment' is not a service in this trace"),
    "cheat: the answer read from the check's own frames": ("""
import inspect

def diagnose(trace):
    for frame in inspect.stack():
        scenario = frame.frame.f_locals.get("scenario")
        if scenario is not None:
            return scenario.failing_service, scenario.time_sink
    return "?", "?"
""", "'?' is not a service in this trace"),
    "cheat: the answer key, from the check's own made-up traces": ("""
def diagnose(trace):
    import coursekit.checks.ex01 as grader
    for seed in grader.MADE_UP:
        scenario, spans = grader.made_up(seed)
        if {s.span_id for s in spans} == {s.span_id for s in trace}:
            return scenario.failing_service, scenario.time_sink
    return None, max(trace, key=lambda s: s.duration_ms).name
""", "diagnose called the check's own made_up()"),
    "cheat: the expected answer read from the check's thread": ("""
import sys

def diagnose(trace):
    for frame in sys._current_frames().values():
        while frame is not None:
            scenario = frame.f_locals.get("scenario")
            if scenario is not None:
                return scenario.failing_service, scenario.time_sink
            frame = frame.f_back
    return None, None
""", "diagnose read the check's memory (_current_frames)"),
    "cheat: a str whose == always says yes": ("""
class Always(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __hash__(self):
        return hash(self.like)

def diagnose(trace):
    service, sink = Always("always"), Always("always")
    service.like, sink.like = trace[0].service, trace[0].name
    return service, sink
""", "'always' is not a service in this trace"),
    "cheat: the check's objects listed from a thread of its own": ("""
import gc
import threading

def diagnose(trace):
    found = []
    worker = threading.Thread(target=lambda: found.extend(gc.get_objects()))
    worker.start()
    worker.join()
    for thing in found:
        if type(thing).__name__ == "Scenario" and getattr(thing, "knobs", 1) == {}:
            pass
    return None, None
""", "diagnose read the check's memory (get_objects)"),
    "cheat: the check's frames, through functools.partial": ("""
import functools
import gc

def diagnose(trace):
    holders = functools.partial(gc.get_referrers, trace)()
    return None, None
""", "diagnose read the check's memory (get_referrers)"),
    "cheat: the watch switched off and on again": ("""
import sys

def diagnose(trace):
    watch = sys.getprofile()
    sys.setprofile(None)
    frames = sys._current_frames()
    sys.setprofile(watch)""" + FRAMES, "diagnose switched off the check's watch"),
    "cheat: the check's own code called from a bare thread": ("""
import _thread
import time

def diagnose(trace):
    import coursekit.checks.ex01 as grader
    answers = []
    _thread.start_new_thread(lambda: answers.extend(grader.made_up(s) for s in grader.MADE_UP), ())
    time.sleep(0.5)
    return None, None
""", "diagnose started a thread the check cannot follow"),
    "cheat: the check's traces swapped for none, compiled under the check's file name": ("""
import coursekit.checks.ex01 as grader

fake = {}
exec(compile("def _cases():\\n    return iter(())\\n", grader.__file__, "exec"), fake)
grader._cases = fake["_cases"]

def diagnose(trace):
    return None, None
""", "coursekit.checks.ex01._cases is not the course's own"),
    "cheat: the watch faked out by a sys.setprofile that does nothing": ("""
import sys

import coursekit.checks.ex01 as grader

hook = [None]
sys.setprofile = lambda function: hook.__setitem__(0, function)
sys.getprofile = lambda: hook[0]

def diagnose(trace):
    seen = {(s.span_id, s.name, s.end_ns) for s in trace}
    for index, scenario in enumerate(grader.SCENARIOS):
        if {(s.span_id, s.name, s.end_ns) for s in grader._shop_trace(index)} == seen:
            return scenario.failing_service, scenario.time_sink
    for seed in grader.MADE_UP:
        scenario, spans = grader.made_up(seed)
        if {(s.span_id, s.name, s.end_ns) for s in spans} == seen:
            return scenario.failing_service, scenario.time_sink
    return None, None
""", "sys.setprofile is not the course's own"),
    "cheat: every file made the kit's by a fake os.path.realpath": ("""
import os

import coursekit.checks.ex01 as grader

real = os.path.realpath
os.path.realpath = lambda path, *args, **options: real(grader.__file__)
grader._hint_for = lambda *args: None

def diagnose(trace):
    return None, None
""", "posixpath.realpath is not the course's own"),
    "cheat: the check's hints switched off": (diagnose("""
    import coursekit.checks.ex01 as grader
    grader._hint_for = lambda *args: None
    return None, None
"""), "coursekit.checks.ex01._hint_for is not the course's own"),
    "cheat: prints the passed line and leaves": (diagnose("""
    print("✔ passed: diagnose names the failing service and the time sink")
    raise SystemExit
"""), "diagnose raised SystemExit"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, lambda source: grade(ex01._check, answer(source)))


def test_made_up_traces_defeat_the_shortcuts():
    """Among the made-up traces, the culprit is at the root, below it, or absent, and the
    time sink is sometimes the root and sometimes a span with grandchildren."""
    cases = [ex01.made_up(seed) for seed in ex01.MADE_UP]
    assert any(s.failing_service is None for s, _ in cases)
    assert any("at the root" in s.description for s, _ in cases)
    assert any("below the root" in s.description for s, _ in cases)
    roots = [next(r for r in t if r.parent_id is None) for _, t in cases]
    assert any(s.time_sink == r.name for (s, _), r in zip(cases, roots, strict=True))
    assert any(s.time_sink != r.name for (s, _), r in zip(cases, roots, strict=True))
    with_decoys = [t for _, t in cases if sum(40 < r.duration_ms for r in t) >= 4]
    assert len(with_decoys) >= 10


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("01") == notebook_runs.stored_output("01")
    assert "✘ not yet: diagnose returned None" in notebook_runs.check_output("01", "exercise")
