"""Exercise 05 (tail-sampling policies): the solution passes its grader under nbval; the
unsolved exercise and realistic wrong answers fail with a hint that says what is off."""

from __future__ import annotations

import pytest

from coursekit.exercises import SOLUTIONS
from tests.test_exercises import assert_fails_with_hint, nbval, with_answers

EX05 = SOLUTIONS / "05_tail_policy.ipynb"
ERRORS = '{"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}'
SLOW = '{"name": "slow", "type": "latency", "latency": {"threshold_ms": 500}}'
REST = '{"name": "rest", "type": "probabilistic", "probabilistic": {"sampling_percentage": 5}}'


def policies(*items: str) -> str:
    return "return [" + ", ".join(items) + "]"


RIGHT = policies(ERRORS, SLOW, REST)


def test_grader_05_passes_the_solution_and_another_right_answer(tmp_path):
    assert nbval(EX05).returncode == 0
    other = policies(SLOW, REST.replace(": 5}", ": 8}"), ERRORS)
    assert nbval(with_answers(EX05, [other], tmp_path)).returncode == 0


@pytest.mark.parametrize(
    ("name", "answer", "hint"),
    [
        ("unsolved exercise", None, "tail_policies returned None"),
        ("no error policy", policies(SLOW, REST), "status_codes: [ERROR]"),
        ("the shipped threshold of 1 s", policies(ERRORS, SLOW.replace("500", "1000"), REST),
         "(your threshold_ms: 1000)"),
        ("a ratio for a percentage", policies(ERRORS, SLOW, REST.replace(": 5}", ": 0.05}")),
         "sampling_percentage is a percentage"),
        ("status code in the wrong case",
         policies(ERRORS.replace('"ERROR"', '"Error"'), SLOW, REST), "in capitals"),
        ("keep everything", policies(ERRORS, SLOW, '{"name": "all", "type": "always_sample"}'),
         "kept 100.0% of the other traces"),
        ("settings not under the type", policies(ERRORS, '{"name": "slow", "type": "latency", '
                                                 '"threshold_ms": 500}', REST),
         "its settings go under the key 'latency'"),
    ],
)  # fmt: skip
def test_grader_05_fails_wrong_answers_with_a_hint(tmp_path, name, answer, hint):
    assert_fails_with_hint(EX05, None if answer is None else [answer], tmp_path, name, hint)
