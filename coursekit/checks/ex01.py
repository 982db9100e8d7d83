"""Exercise 01: from a trace's spans alone, name the failing service and where the time went.

The expected answers come from the fault planted in each scenario, not from a reference
solution: a payment-provider hang, a slow stock lookup, and both at once with a quick
provider failure elsewhere would all look different in a correct answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from services import start_shop

from ..spans import one_trace
from .report import NotYet, call_learner_code, run_check


@dataclass(frozen=True)
class Scenario:
    description: str
    knobs: dict
    failing_service: str | None
    time_sink: str


SCENARIOS = (
    Scenario(
        "the payment provider hangs",
        {"payment_timeout_every": 1, "payment_provider_timeout_s": 0.25},
        "payment",
        "payment-provider authorize",
    ),
    Scenario(
        "inventory's stock lookup is slow, nothing fails",
        {"inventory_slow_ms": 250},
        None,
        "lookup stock",
    ),
    Scenario(
        "a slow stock lookup, then a quick provider failure",
        {"inventory_slow_ms": 300, "payment_timeout_every": 1, "payment_provider_timeout_s": 0.05},
        "payment",
        "lookup stock",
    ),
)


def scenario_trace(scenario: Scenario):
    """Run one checkout on a fresh shop with the scenario's knobs; return its span records."""
    with start_shop(**scenario.knobs) as shop:
        requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
        return one_trace(shop.spans())


def _hint_for(scenario: Scenario, trace, answer) -> str | None:
    root = min(trace, key=lambda r: r.start_ns)
    if answer is None:
        return "diagnose returned None: return a pair (failing_service, time_sink)."
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        return f"diagnose returned {answer!r}: return a pair (failing_service, time_sink)."
    service, sink = answer
    where = f"When {scenario.description}"
    if service != scenario.failing_service:
        if scenario.failing_service is None:
            return (
                f"{where}, no span has status ERROR, so failing_service should be None "
                f"(you returned {service!r})."
            )
        if service == root.service:
            return (
                f"{where}, {service!r} is where the error surfaced, not where it started. "
                "Follow the error spans down: the culprit's children are all fine."
            )
        return f"{where}, the failing service is not {service!r}: look at the deepest error span."
    if sink != scenario.time_sink:
        longest = max(trace, key=lambda r: r.duration_ms)
        if sink == longest.name:
            return (
                f"{where}, {sink!r} is the longest span, but most of its time is spent in its "
                "children. Use self time: a span's duration minus its children's durations."
            )
        return (
            f"{where}, the time went into {scenario.time_sink!r}, not {sink!r}: compare the "
            "spans' self time (duration minus the children's durations)."
        )
    return None


def _check(diagnose) -> str:
    if not callable(diagnose):
        raise NotYet("diagnose is not a function: define it with def diagnose(trace): ...")
    for scenario in SCENARIOS:
        trace = scenario_trace(scenario)
        answer = call_learner_code(diagnose, list(trace), name="diagnose")
        hint = _hint_for(scenario, trace, answer)
        if hint:
            raise NotYet(hint)
    return f"diagnose names the failing service and the time sink in all {len(SCENARIOS)} traces."


def check_diagnose(diagnose) -> bool:
    """Grade ``diagnose(trace) -> (failing_service, time_sink)`` on three planted faults."""
    return run_check(_check, diagnose)
