"""Quizzes: scoring, feedback, the static form, and validation of the banks."""

from __future__ import annotations

import copy

import pytest
import yaml

from coursekit.quiz import BANKS, bank_problems, load_bank, quiz


@pytest.mark.parametrize("bank", sorted(p.stem for p in BANKS.glob("*.yaml")))
def test_every_bank_is_valid(bank):
    data = yaml.safe_load((BANKS / f"{bank}.yaml").read_text())
    assert bank_problems(data, bank) == []
    assert load_bank(bank)


GOOD = [
    {
        "id": "q",
        "question": "Which?",
        "answers": [
            {"text": "a", "correct": True, "why": "because"},
            {"text": "b", "correct": False, "why": "because not"},
        ],
    }
]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b[0]["answers"][0].update(correct=False), "exactly one correct"),
        (lambda b: b[0]["answers"][1].update(correct=True), "exactly one correct"),
        (lambda b: b[0]["answers"][1].update(why=" "), "must not be empty"),
        (lambda b: b[0]["answers"][1].pop("why"), "exactly text, correct and why"),
        (lambda b: b[0]["answers"].pop(), "2 to 8 answers"),
        (lambda b: b.append(copy.deepcopy(b[0])), "used twice"),
        (lambda b: b[0].update(question=""), "needs a question"),
        (lambda b: b[0].update(labels="x"), "labels must be"),
        (lambda b: b[0]["answers"][0].update(correct="yes"), "true or false"),
    ],
)
def test_the_validator_catches_broken_banks(change, problem):
    broken = copy.deepcopy(GOOD)
    change(broken)
    assert bank_problems(GOOD) == []
    assert any(problem in p for p in bank_problems(broken)), bank_problems(broken)


def test_seed_quiz_answer_is_2_with_an_explanation_for_every_option():
    q = quiz("01_incident", "disconnected-logs")
    assert q.check("2").correct and "correlation automatically" in q.check("2").message
    assert "doesn't scale beyond 3-5 services" in q.check("1").message
    assert "worse" in q.check("3").message and "pain" in q.check("4").message
    assert not any(q.check(str(n)).correct for n in (1, 3, 4))


def test_wrong_choices_get_a_clear_message_not_a_traceback():
    q = quiz("01_incident", "root-cause-span")
    assert q.check("c").correct and q.check(2).correct
    with pytest.raises(ValueError, match="pick one of A, B, C, D"):
        q.check("E")
    with pytest.raises(ValueError, match="there are 4"):
        q.check(7)
    with pytest.raises(KeyError, match="it has disconnected-logs"):
        quiz("01_incident", "nope")


def test_one_output_carries_the_widget_and_the_static_form():
    q = quiz("01_incident", "root-cause-span")
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("type='radio'") == 4 and "<script" not in html and "http" not in html
    for i in range(4):
        assert q.check(i).message.split(":")[0] in html


def test_the_widget_gives_feedback_and_allows_a_retry():
    q = quiz("01_incident", "root-cause-span")
    box = q.widget()
    _, options, button, feedback = box.children
    button.click()
    assert "Pick an answer first" in feedback.value
    options.value = 0
    button.click()
    assert "Not quite" in feedback.value
    options.value = 2
    button.click()
    assert "Correct" in feedback.value
