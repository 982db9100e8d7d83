"""Exercise 06 (trim the account page's 50 spans, keep both incidents): its catalogue."""

from __future__ import annotations

import pytest

from coursekit.checks import ex06
from tests.graders.catalogue import assert_catalogue, grade, learner

PRELUDE = "from opentelemetry.sdk.trace.sampling import ALWAYS_ON, TraceIdRatioBased\n"

#: A trim that passes; wrong answers below change one thing in it.
TRIM = {
    "auth.verify_session": "drop", "feature_flag.evaluate": "count", "cache.get": "drop",
    "render order": "count", "SELECT order_items": "count", "format.currency": "drop",
    "i18n.translate": "drop", "template.render": "drop", "json.serialize": "drop",
}  # fmt: skip


def policy(**changes) -> str:
    return f"def span_policy(step):\n    return { ({**TRIM, **changes})!r}.get(step.name, 'span')"


def answer(source: str):
    return learner(source, "span_policy", "SAMPLER", prelude=PRELUDE + "SAMPLER = None\n")


def graded(source: str):
    span_policy, sampler = answer(source)
    return grade(ex06._check, span_policy, sampler)


RIGHT = {
    "the solution: by kind of step": """
def span_policy(step):
    if step.kind == "server":
        return "span"
    if step.per_request > 1:
        return "count"
    if step.kind == "client":
        return "span"
    if step.name == "template.render":
        return "span"
    return "drop"
""",
    "a config dict, loops as events": "span_policy = " + repr({
        **TRIM, "render order": "event", "SELECT order_items": "event",
        "feature_flag.evaluate": "event", "format.currency": "drop"}),
    "YAML, the failed call as an event on the page's span": '''
import yaml

span_policy = yaml.safe_load("""
GET /recommendations: event
auth.verify_session: drop
feature_flag.evaluate: drop
cache.get: event
render order: count
SELECT order_items: count
format.currency: drop
i18n.translate: count
json.serialize: drop
""")
''',
    "the fewest spans: root and the slow query only": """
KEEP = {"GET /account", "SELECT orders"}

def span_policy(step):
    if step.name in KEEP:
        return "span"
    return "event" if step.name == "GET /recommendations" else "count"
""",
    "a callable object that reads the attributes, the SDK's sampler spelled out": """
from opentelemetry.sdk.trace.sampling import ParentBased

class Policy:
    def __call__(self, step):
        attributes = dict(step.attributes)
        if step.kind == "server" or "db.query.summary" in attributes and step.per_request == 1:
            return "span"
        if "service.peer.name" in attributes:
            return "span"
        return "count" if step.per_request > 1 else "drop"

span_policy = Policy()
SAMPLER = ParentBased(ALWAYS_ON)
""",
    "a lambda over a set, every trace kept by a ratio of 1": """
SPANS = {"GET /account", "SELECT customers", "SELECT orders", "GET /recommendations"}
span_policy = lambda step: (
    "span" if step.name in SPANS else "event" if step.per_request == 1 else "count")
SAMPLER = TraceIdRatioBased(1.0)
""",
}  # fmt: skip


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = graded(RIGHT[name])
    assert outcome.passed, outcome.message


WRONG = {
    "unsolved": ("def span_policy(step):\n    ...", "span_policy returned None for 'GET /account'"),
    "keep everything": ("def span_policy(step):\n    return 'span'", "50 spans per request"),
    "only the translations dropped": (
        policy(**{**{n: "span" for n in TRIM}, "i18n.translate": "drop"}),
        "41 spans per request",
    ),
    "drop everything": ("def span_policy(step):\n    return 'drop'",
                        "the request's own span (GET /account, the server span) was set to 'drop'"),
    "the slow query as an event": (policy(**{"SELECT orders": "event"}),
                                   "an event has no duration"),
    "the slow query counted": (policy(**{"SELECT orders": "count"}),
                               "says the query ran, not how long"),
    "the slow query dropped": (policy(**{"SELECT orders": "drop"}),
                               "unexplained time in GET /account"),
    "the failing call counted": (policy(**{"GET /recommendations": "count"}),
                                 "hides which call failed"),
    "the failing call dropped": (policy(**{"GET /recommendations": "drop"}),
                                 "nothing in the trace shows it"),
    "a decision the lab does not know": (policy(**{"render order": "merge"}),
                                         "'merge' for 'render order' is not a decision"),
    "a step name with a typo": ("span_policy = " + repr({**TRIM, "SELECT order_item": "count"}),
                                "the lab has no step named 'SELECT order_item'"),
    "a list, not a policy": ("span_policy = ['GET /account']", "span_policy is list"),
    # Cheats: the right-looking output by the wrong means.
    "cheat: keep every span, sample a fifth of the traces": (
        "def span_policy(step):\n    return 'span'\nSAMPLER = TraceIdRatioBased(0.2)",
        "requests have a trace: that is sampling"),
    "cheat: the SDK's samplers composed to drop every child, keep every grandchild": ("""
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

def span_policy(step):
    return "span"
SAMPLER = ParentBased(ALWAYS_ON, local_parent_sampled=ALWAYS_OFF,
                      local_parent_not_sampled=ALWAYS_ON)
""", "parent span was never exported"),
    "cheat: the SDK's samplers composed to keep the server span alone": ("""
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

def span_policy(step):
    return "span"
SAMPLER = ParentBased(ALWAYS_ON, local_parent_sampled=ALWAYS_OFF)
""", "a trace kept 1 of the 50 spans your decisions make"),
    "cheat: a sampler of its own that drops spans by name": ("""
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

KEEP = ("GET /account", "SELECT orders", "GET /recommendations", "SELECT order_items")

class ByName(Sampler):
    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                      links=None, trace_state=None):
        if name in KEEP:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        return SamplingResult(Decision.DROP)
    def get_description(self):
        return "ByName"

def span_policy(step):
    return "span"
SAMPLER = ByName()
""", "sampler is a ByName, a class of your own"),
    "cheat: a sampler that labels the server span as the slow query": ("""
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

class Label(Sampler):
    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                      links=None, trace_state=None):
        extra = {"db.query.summary": "SELECT orders"} if name == "GET /account" else {}
        return SamplingResult(Decision.RECORD_AND_SAMPLE, {**(attributes or {}), **extra})
    def get_description(self):
        return "Label"

SAMPLER = Label()
def span_policy(step):
    if step.name == "GET /account":
        return "span"
    return "event" if step.name == "GET /recommendations" else "drop"
""", "sampler is a Label, a class of your own"),
    "cheat: a sampler that climbs to the check's lab and switches its incidents off": ("""
import sys
from opentelemetry.sdk.trace.sampling import Sampler

class Quiet(Sampler):
    def should_sample(self, *args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None:
            lab = frame.f_locals.get("lab")
            if type(lab).__name__ == "AccountPage":
                object.__setattr__(lab, "slow_query_every", 0)
                object.__setattr__(lab, "failing_call_every", 0)
            frame = frame.f_back
        return ALWAYS_ON.should_sample(*args, **kwargs)
    def get_description(self):
        return "Quiet"

SAMPLER = Quiet()
def span_policy(step):
    return "span" if step.name == "GET /account" else "drop"
""", "sampler is a Quiet, a class of your own"),
    "cheat: the SDK's sampler with its method replaced on the object": ("""
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, SamplingResult

SAMPLER = ParentBased(ALWAYS_ON)
SAMPLER.should_sample = lambda *args, **kwargs: SamplingResult(Decision.DROP)
def span_policy(step):
    return "span"
""", "whose methods were replaced on the object"),
    "cheat: an answer that changes its mind": ("""
asked = []

def span_policy(step):
    asked.append(step.name)
    return "drop" if asked.count(step.name) > 1 else "span"
""", "decide from the step alone"),
    "cheat: the lab's steps patched to make no spans": ("""
import services.labs.steps as steps

def span_policy(step):
    steps.Steps.action = lambda self, name: "drop" if name != "GET /account" else "span"
    return "span"
""", "services.labs.steps.Steps.action is not the course's own"),
    "cheat: the budget retuned": ("""
import coursekit.checks.ex06 as ex06

def span_policy(step):
    ex06._limits = lambda: (100, 1.0, 1.0)
    return "span"
""", "coursekit.checks.ex06._limits is not the course's own"),
    "cheat: the check's requests cut to one, with no incident": ("""
import coursekit.checks.ex06 as ex06
from services.labs.account_page import AccountPage

def span_policy(step):
    ex06._setup = lambda: (range(1, 2), AccountPage())
    return "drop" if step.name in ("SELECT orders", "GET /recommendations") else "span"
""", "coursekit.checks.ex06._setup is not the course's own"),
    "cheat: the lab's loops shortened through its defaults": ("""
from services.labs.account_page import AccountPage

defaults = list(AccountPage.__init__.__defaults__)
defaults[4:6] = [0, 0]  # orders, labels
AccountPage.__init__.__defaults__ = tuple(defaults)

def span_policy(step):
    return "drop" if step.name == "json.serialize" else "span"
""", "49 spans per request"),
    "cheat: a sampler that stops keeping once the traces are read": ("""
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler

class Fading(Sampler):
    roots = 0
    def should_sample(self, parent_context, trace_id, name, *args, **kwargs):
        if name == "GET /account":
            Fading.roots += 1
        return (ALWAYS_ON if Fading.roots <= 15 else ALWAYS_OFF).should_sample(
            parent_context, trace_id, name, *args, **kwargs)
    def get_description(self):
        return "Fading"

SAMPLER = Fading()
""" + policy().replace("def span_policy", "def span_policy", 1),
        "sampler is a Fading, a class of your own"),
    "cheat: prints the passed line": ("""
def span_policy(step):
    print("✔ passed: every request keeps its trace, within 15 spans")
    return "keep"
""", "'keep' for 'GET /account' is not a decision"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, graded)


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("06") == notebook_runs.stored_output("06")
    assert "✘ not yet: span_policy returned None" in notebook_runs.check_output("06", "exercise")


SABOTEUR = """
import sys, threading
import coursekit.checks.harness as harness

STOP = threading.Event()

def saboteur():
    # waits for the check's lab (looking only while no learner call is watched) and
    # switches its incidents off: no function replaced, so no tamper guard sees it
    while not STOP.wait(0.0005):
        if harness._watched:
            continue
        for frame in list(sys._current_frames().values()):
            while frame is not None:
                lab = frame.f_locals.get("lab")
                if type(lab).__name__ == "AccountPage" and lab.slow_query_every:
                    object.__setattr__(lab, "slow_query_every", 0)
                    object.__setattr__(lab, "failing_call_every", 0)
                frame = frame.f_back

THREADS = []

def start():
    THREADS.append(threading.Thread(target=saboteur, daemon=True))
    THREADS[-1].start()
"""


@pytest.mark.parametrize("where", ["the notebook's cell", "span_policy"])
def test_cheat_a_thread_that_rewrites_the_checks_lab_is_refused(where):
    source = SABOTEUR + (
        "start()\n\ndef span_policy(step):\n"
        if where == "the notebook's cell"
        else "def span_policy(step):\n    if not THREADS:\n        start()\n"
    )
    source += "    return 'span' if step.name == 'GET /account' else 'drop'\n"
    span_policy, stop, threads = learner(source, "span_policy", "STOP", "THREADS", prelude=PRELUDE)
    try:
        outcome = grade(ex06._check, span_policy, None)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not outcome.passed
    assert "is running your code beside the check" in " ".join(outcome.message.split())
