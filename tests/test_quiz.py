"""Quizzes: scoring, feedback, the static form, and validation of the banks."""

from __future__ import annotations

import copy
import re
from collections import Counter

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


def test_seed_quiz_answer_is_tracing_with_an_explanation_for_every_option():
    # The article numbers these options 1-4 and answers (2); the course letters them A-D
    # like every other quiz, and moves the right answer so that its position tells nothing.
    q = quiz("01_incident", "disconnected-logs")
    assert q.check("A").correct and "correlation automatically" in q.check("A").message
    assert "doesn't scale beyond 3-5 services" in q.check("B").message
    assert "worse" in q.check("C").message and "pain" in q.check("D").message
    assert not any(q.check(label).correct for label in "BCD")
    with pytest.raises(ValueError, match="pick one of A, B, C, D"):
        q.check("2")


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


# --- the course's quizzes as a whole: not guessable, and consistent -----------------------
ALL = [q for bank in sorted(p.stem for p in BANKS.glob("*.yaml")) for q in load_bank(bank).values()]


def _right(q) -> int:
    return next(i for i, a in enumerate(q.answers) if a.correct)


def test_every_quiz_is_lettered_a_to_d():
    for q in ALL:
        assert q.labels == "A", f"{q.id}: options are lettered A-D in every lesson"
        assert "".join(q.label(i) for i in range(len(q.answers))) == "ABCD"[: len(q.answers)]


def test_the_right_answers_position_tells_nothing():
    positions = Counter(_right(q) for q in ALL)
    for position, count in positions.items():
        assert count / len(ALL) <= 0.35, f"the right answer is {'ABCD'[position]} {count} times"
    assert set(positions) == {0, 1, 2, 3}, "every position holds some right answers"


def test_the_longest_option_is_not_a_giveaway():
    def longest_is_right(q):
        lengths = [len(a.text) for a in q.answers]
        return lengths.count(max(lengths)) == 1 and lengths.index(max(lengths)) == _right(q)

    assert sum(map(longest_is_right, ALL)) / len(ALL) <= 0.35


def test_all_of_the_above_comes_last():
    for q in ALL:
        for i, a in enumerate(q.answers):
            if a.text.lower().startswith(("all of the above", "none of the above")):
                assert i == len(q.answers) - 1, q.id


# An explanation names another option as C ("Lower latency"): the letter and the start of
# that option's text, so that reordering the options cannot leave a stale letter behind.
NAMED = re.compile(r'\b([A-H]) \("([^"]+)"\)')
BARE = re.compile(r"\b(?:[Oo]ptions?|[Aa]nswers?) ([A-H1-8])\b(?! \(\")")


def test_explanations_name_other_options_by_letter_and_text():
    named = 0
    for q in ALL:
        for a in q.answers:
            assert not BARE.search(a.why), f'{q.id}: write a reference as C ("its text")'
            for letter, start in NAMED.findall(a.why):
                named += 1
                target = q.answers[q.index_of(letter)]
                assert target.text.startswith(start), f"{q.id}: {letter} is {target.text!r}"
    assert named, "the SDK-or-Collector key names option C"


def test_debatable_keys_say_why():
    key = quiz("05_sampling", "sdk-vs-collector")
    why = key.answers[_right(key)].why
    assert key.answers[_right(key)].text == "All of the above."
    assert "data latency" in why and "requests themselves" in why
    assert "only the Collector sees whole traces" in why


def test_environment_configuration_is_not_claimed_for_every_sdk():
    texts = " ".join(a.text + " " + a.why for q in ALL for a in q.answers)
    assert "read by every" not in texts and "every OpenTelemetry SDK" not in texts
    one_place = quiz("05_sampling", "one-place")
    why = one_place.answers[_right(one_place)].why
    assert "optional" in why and "autoconfigure" in why and "Java's SDK builder" in why
    ratio = one_place.check("A").message
    assert "56 bits" in ratio and "th in tracestate" in ratio and "does not do it yet" in ratio
    assert "grpc" in quiz("03_standard", "change-vendor").check("B").message
