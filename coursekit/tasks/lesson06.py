"""Lesson 06's "your turn" checks: a p99 computed by hand, and the Batch span processor
sized for a backend that pauses.

The p99 check runs the learner's function on latencies it generates (seeded, shuffled,
several sizes) and accepts the nearest-rank p99 or anything between its neighbouring
ranks (an interpolating definition lands there too). The sizing check is arithmetic on
the task's numbers, with the settings read as the SDK reads them: strings in the
environment, whole numbers.
"""

from __future__ import annotations

import math
import random
import statistics

from ..checks.harness import plain
from ..checks.report import NotYet, call_learner_code, run_check


def _nearest_rank(values: list[float], q: float) -> int:
    """The 0-based index of the q-th percentile in sorted values, nearest rank."""
    return max(1, math.ceil(len(values) * q / 100)) - 1


def _check_p99(p99) -> str:
    if not callable(p99):
        raise NotYet("p99 must be a function: def p99(latencies): ...")
    draw = random.Random(99)
    for size in (250, 1000, 2003):
        tail = size // 50  # a slow tail: 2% of the requests
        values = [round(draw.lognormvariate(3, 0.4), 3) for _ in range(size - tail)]
        values += [round(draw.uniform(150, 400), 3) for _ in range(tail)]
        draw.shuffle(values)
        ordered = sorted(values)
        got = plain(call_learner_code(p99, list(values), name="p99"))
        if got is None:
            raise NotYet("p99 returned None: return the latency, in the same unit as the input.")
        if isinstance(got, bool) or not isinstance(got, int | float):
            raise NotYet(f"p99 returned {got!r}: return one latency, a number.")
        rank = _nearest_rank(ordered, 99)
        if ordered[rank - 1] <= got <= ordered[rank + 1]:
            continue
        if got == ordered[-1]:
            raise NotYet(
                f"on {len(values)} latencies that is the slowest one, the maximum: the p99 has "
                "1% of the requests above it."
            )
        middle = ordered[(len(ordered) - 1) // 2] <= got <= ordered[len(ordered) // 2]
        if math.isclose(got, statistics.fmean(values)) or middle:
            raise NotYet("that is the mean or the median: a percentile needs the values in order.")
        if got == values[rank]:
            raise NotYet(
                "that is the value at the p99's position in the list as given: sort first."
            )
        if math.isclose(got, ordered[rank] * 100) or math.isclose(got, ordered[rank] / 1000):
            raise NotYet("right rank, wrong unit: return milliseconds, as given.")
        raise NotYet(
            f"on {len(values)} latencies your p99 is {got!r}, not about {ordered[rank]}: sort "
            "them, and take the one at rank ceil(0.99 × n) (counting from 1)."
        )
    return "the nearest-rank p99 on 250, 1,000 and 2,003 shuffled latencies."


def check_p99(p99) -> None:
    """Your turn: the 99th percentile of a list of latencies."""
    run_check(_check_p99, p99)


#: The sizing task's numbers.
SPANS_PER_SECOND = 3_000
PAUSE_S = 2
BYTES_PER_QUEUED_SPAN = 4_096
MEMORY_BYTES = 64 * 1024 * 1024
MAX_DELAY_MS = 5_000
NAMES = ("OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY")


def _whole(settings: dict, name: str) -> int:
    value = settings.get(name)
    if value is None:
        raise NotYet(f"set {name}: the task asks for all three of {', '.join(NAMES)}.")
    text = str(value).strip()
    if isinstance(value, float) or not text.isdigit():
        raise NotYet(
            f"{name}={value!r}: the SDK reads a whole number from the environment, such as "
            f"'{2048}' (a string, as every environment variable is, or an int)."
        )
    return int(text)


def _check_bsp(settings) -> str:
    settings = plain(settings)
    if not isinstance(settings, dict):
        raise NotYet(f"settings is {type(settings).__name__}: a dict of OTEL_BSP_* variables.")
    unknown = sorted(set(settings) - set(NAMES) - {"OTEL_BSP_EXPORT_TIMEOUT"})
    if unknown:
        raise NotYet(
            f"{unknown[0]} is not one of the Batch processor's variables: {', '.join(NAMES)}."
        )
    queue, batch, delay = (_whole(settings, name) for name in NAMES)
    arriving = SPANS_PER_SECOND * PAUSE_S
    if queue < arriving:
        raise NotYet(
            f"a queue of {queue:,} loses {arriving - queue:,} spans in a {PAUSE_S} s pause: "
            f"{SPANS_PER_SECOND:,} spans/s keep arriving while the worker waits on the backend."
        )
    if batch > queue:
        raise NotYet(
            f"a batch of {batch:,} is larger than the queue ({queue:,}): the SDK refuses it "
            "(max_export_batch_size must be at most max_queue_size)."
        )
    if queue < arriving + batch:
        raise NotYet(
            f"{queue:,} holds the pause's {arriving:,} spans only if the queue was empty: "
            f"up to a batch ({batch:,}) may be waiting already. Add it."
        )
    if queue * BYTES_PER_QUEUED_SPAN > MEMORY_BYTES:
        raise NotYet(
            f"{queue:,} queued spans at {BYTES_PER_QUEUED_SPAN:,} bytes each is "
            f"{queue * BYTES_PER_QUEUED_SPAN / 2**20:,.0f} MiB, over the "
            f"{MEMORY_BYTES // 2**20} MiB the service can spare."
        )
    if delay == 0 or delay > MAX_DELAY_MS:
        raise NotYet(
            f"OTEL_BSP_SCHEDULE_DELAY={delay} ms: spans should reach the backend within "
            f"{MAX_DELAY_MS // 1000} s, and 0 would wake the worker for every span (> 0)."
        )
    if batch < 64:
        raise NotYet(
            f"a batch of {batch} spans means {SPANS_PER_SECOND // batch:,} export requests "
            "per second: fewer, larger batches (the default is 512) cost less per span."
        )
    return (
        f"a queue for the {PAUSE_S} s pause plus a batch, within "
        f"{MEMORY_BYTES // 2**20} MiB; batches and delay within the task's bounds."
    )


def check_bsp(settings) -> None:
    """Your turn: OTEL_BSP_* for a service that must lose nothing in a backend pause."""
    run_check(_check_bsp, settings)
