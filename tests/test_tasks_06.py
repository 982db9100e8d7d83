"""Lesson 06's "your turn" checks: wrong answers get their own hint, right answers in
several styles pass, and the placeholders the lesson ships get a hint, not a pass."""

from __future__ import annotations

import math

import pytest
from task_checks import assert_hint, assert_passes

from coursekit.tasks import lesson06

P99_WRONG = [
    (lambda values: max(values), "the slowest one, the maximum"),
    (lambda values: sum(values) / len(values), "the mean or the median"),
    (lambda values: sorted(values)[len(values) // 2], "the mean or the median"),
    (lambda values: values[math.ceil(0.99 * len(values)) - 1], "sort first"),
    (lambda values: sorted(values)[math.ceil(0.99 * len(values)) - 1] / 1000, "wrong unit"),
    (lambda values: sorted(values)[int(0.9 * len(values))], "take the one at rank"),
    (lambda values: None, "p99 returned None"),
    (lambda values: "fast", "return one latency, a number"),
    (lambda values: 1 / 0, "raised ZeroDivisionError"),
    ("p99", "must be a function"),
]


def _interpolated(values):
    ordered = sorted(values)
    position = 0.99 * (len(ordered) - 1)
    low = int(position)
    return ordered[low] + (ordered[min(low + 1, len(ordered) - 1)] - ordered[low]) * (
        position - low
    )


P99_RIGHT = [
    lambda values: sorted(values)[math.ceil(0.99 * len(values)) - 1],
    _interpolated,
    lambda values: sorted(values, reverse=True)[len(values) - math.ceil(0.99 * len(values))],
]


@pytest.mark.parametrize(("answer", "hint"), P99_WRONG)
def test_p99_wrong_answers_get_their_hint(answer, hint, capsys):
    assert_hint(lesson06.check_p99, answer, hint, capsys)


@pytest.mark.parametrize("answer", P99_RIGHT)
def test_p99_right_answers_pass(answer, capsys):
    assert_passes(lesson06.check_p99, answer, capsys)


def bsp(queue="8012", batch="512", delay="1000", **more):
    return {"OTEL_BSP_MAX_QUEUE_SIZE": queue, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": batch,
            "OTEL_BSP_SCHEDULE_DELAY": delay, **more}  # fmt: skip


BSP_WRONG = [
    (bsp("2048", delay="5000"), "loses 3,952 spans in a 2 s pause"),  # the lesson's starter
    (bsp("6000"), "up to a batch (512) may be waiting already"),
    (bsp("6400", batch="8000"), "larger than the queue"),
    (bsp("20000"), "over the 64 MiB"),
    (bsp(delay="30000"), "OTEL_BSP_SCHEDULE_DELAY=30000 ms"),
    (bsp(delay="0"), "OTEL_BSP_SCHEDULE_DELAY=0 ms"),
    (bsp(batch="10"), "300 export requests per second"),
    (bsp("8e3"), "the SDK reads a whole number"),
    (bsp(queue=8012.0), "the SDK reads a whole number"),
    ({"OTEL_BSP_MAX_QUEUE_SIZE": "8012"}, "set OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
    (bsp(OTEL_BSP_MAX_QUEUE="8012"), "not one of the Batch processor's variables"),
    ("OTEL_BSP_MAX_QUEUE_SIZE=8012", "a dict of OTEL_BSP_* variables"),
]
BSP_RIGHT = [
    bsp(),
    bsp(queue=16384, batch=512, delay=5000),  # ints, the most memory allows
    bsp("6512", "512", "5000", OTEL_BSP_EXPORT_TIMEOUT="30000"),  # the minimum exactly
    {k: f" {v} " for k, v in bsp("10000", "1024", "200").items()},
]


@pytest.mark.parametrize(("answer", "hint"), BSP_WRONG)
def test_bsp_wrong_answers_get_their_hint(answer, hint, capsys):
    assert_hint(lesson06.check_bsp, answer, hint, capsys)


@pytest.mark.parametrize("answer", BSP_RIGHT)
def test_bsp_right_answers_pass(answer, capsys):
    assert_passes(lesson06.check_bsp, answer, capsys)
