"""Exercise 05 (tail-sampling policies for the checkout SLO): its catalogue of answers."""

from __future__ import annotations

import pytest

from coursekit.checks import ex05
from tests.graders.catalogue import assert_catalogue, grade, learner

ERRORS = '{"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}'
SLOW = '{"name": "slow", "type": "latency", "latency": {"threshold_ms": 500}}'
REST = '{"name": "rest", "type": "probabilistic", "probabilistic": {"sampling_percentage": 5}}'


def policies(*items: str) -> str:
    return "def tail_policies():\n    return [" + ", ".join(items) + "]"


def answer(source: str):
    return learner(source, "tail_policies")


RIGHT = {
    "the solution": policies(ERRORS, SLOW, REST),
    "10%, the top of the range (a hash may keep 10.1%)": policies(
        SLOW, REST.replace(": 5}", ": 10}"), ERRORS
    ),
    "2%, a float threshold and a salt, built in a loop": """
def tail_policies():
    wanted = {"status_code": {"status_codes": ["ERROR"]},
              "latency": {"threshold_ms": 500.0},
              "probabilistic": {"sampling_percentage": 2, "hash_salt": "checkout-slo"}}
    return [{"name": f"keep-{kind}", "type": kind, kind: settings}
            for kind, settings in wanted.items()]
""",
    "read from YAML": '''
import yaml

def tail_policies():
    return yaml.safe_load("""
- name: failures
  type: status_code
  status_code: {status_codes: [ERROR]}
- name: over-the-slo
  type: latency
  latency: {threshold_ms: 500}
- name: baseline
  type: probabilistic
  probabilistic: {sampling_percentage: 7.5}
""")
''',
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = grade(ex05._check, answer(RIGHT[name]))
    assert outcome.passed, outcome.message


LATENCY_470 = SLOW.replace("500", "470")

WRONG = {
    "unsolved": ("def tail_policies():\n    ...", "tail_policies returned None"),
    "no error policy": (policies(SLOW, REST), "status_codes: [ERROR]"),
    "the threshold of the shipped Collector file": (
        policies(ERRORS, SLOW.replace("500", "1000"), REST), "(your threshold_ms: 1000)"),
    "a threshold just over the SLO": (
        policies(ERRORS, SLOW.replace("500", "510"), REST), "(your threshold_ms: 510)"),
    "a ratio for a percentage": (policies(ERRORS, SLOW, REST.replace(": 5}", ": 0.05}")),
                                 "sampling_percentage is a percentage"),
    "no baseline": (policies(ERRORS, SLOW), "kept 0.0% of the other traces"),
    "a baseline above the range": (policies(ERRORS, SLOW, REST.replace(": 5}", ": 12}")),
                                   "at most 10%"),
    "status code in the wrong case": (policies(ERRORS.replace('"ERROR"', '"Error"'), SLOW, REST),
                                      "in capitals"),
    "keep everything": (policies(ERRORS, SLOW, '{"name": "all", "type": "always_sample"}'),
                        "kept 100.0% of the other traces"),
    "settings not under the type": (
        policies(ERRORS, '{"name": "slow", "type": "latency", "threshold_ms": 500}', REST),
        "its settings go under the key 'latency'"),
    "a policy type the Collector has but the receiver not": (
        policies(ERRORS, SLOW, '{"name": "ms", "type": "numeric_attribute", '
                 '"numeric_attribute": {"key": "x"}}'), "the receiver knows"),
    "a setting missing": (policies(ERRORS, '{"name": "slow", "type": "latency", "latency": {}}',
                                   REST), "missing its setting 'threshold_ms'"),
    "a latency window a real Collector would close": (
        policies(ERRORS, SLOW.replace("500}", "500, \"upper_threshold_ms\": 1500}"), REST),
        "does not implement upper_threshold_ms"),
    # Cheats: right-looking output by the wrong means.
    "cheat: no baseline, a threshold under the SLO tuned to keep about 5%": (
        policies(ERRORS, LATENCY_470), "(your threshold_ms: 470): a trace that meets the SLO"),
    "cheat: a rate limit tuned to keep about 5% at one rate": (
        policies(ERRORS, SLOW, '{"name": "rest", "type": "rate_limiting", '
                 '"rate_limiting": {"spans_per_second": 180}}'),
        "a rate limit is not a percentage"),
    "cheat: the sampler patched to keep what the check wants": ("""
import services.backend.tail_sampling as tail

def tail_policies():
    tail.Policy.samples = lambda self, trace_id, spans, now: False
    return [""" + REST + "]",
        "services.backend.tail_sampling.Policy.samples is not the course's own"),
    "cheat: the sampler's reading of a policy retuned, compiled as <string>": ("""
import services.backend.tail_sampling as tail

RETUNE = '''
def __post_init__(self):
    if self.type == "latency":
        self.settings = {"threshold_ms": 500}
    if self.type == "probabilistic":
        self.settings = {"sampling_percentage": 5}
    setup(self)
'''
retune = {"setup": tail.Policy.__post_init__}
exec(compile(RETUNE, "<string>", "exec"), retune)
tail.Policy.__post_init__ = retune["__post_init__"]

def tail_policies():
    return [""" + ERRORS + ", " + LATENCY_470 + ", " + REST.replace(": 5}", ": 50}") + "]",
        "services.backend.tail_sampling.Policy.__post_init__ is not the course's own"),
    "cheat: a policy that answers differently when read again": ("""
class Shifty(dict):
    reads = 0
    def get(self, key, default=None):
        Shifty.reads += 1
        return 100 if Shifty.reads > 1 else super().get(key, default)

def tail_policies():
    rest = Shifty(sampling_percentage=0.5)  # 0.5% when the check reads it, 100% after
    return [""" + ERRORS + ", " + SLOW + """,
            {"name": "rest", "type": "probabilistic", "probabilistic": rest}]
""", "kept 0.5% of the other traces"),
    "cheat: textwrap patched so that a hint reads as a pass": ("""
import textwrap

def tail_policies():
    fill = textwrap.fill
    textwrap.fill = lambda text, **options: fill(text.replace("✘ not yet", "✔ passed"), **options)
    return [""" + ERRORS + "]", "textwrap.fill is not the course's own"),
    "cheat: prints the passed line": ("""
def tail_policies():
    print("✔ passed: every error trace, every trace over the 500 ms SLO and a steady")
    return []
""", "tail_policies returned []"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, lambda source: grade(ex05._check, answer(source)))


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("05") == notebook_runs.stored_output("05")
    assert "✘ not yet: tail_policies returned None" in notebook_runs.check_output("05", "exercise")
