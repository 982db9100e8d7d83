"""Exercise 01: from a trace's spans alone, name the failing service and where the time went.

The expected answers come from the fault planted in each scenario, not from a reference
solution. The scenarios are chosen so that the usual shortcuts fail: a hard-coded answer,
the root span instead of the culprit, the longest span instead of the most self time, and
subtracting all descendants instead of the direct children (slow pricing puts the time
sink on a span that has grandchildren).
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
        "checkout prices the order slowly, in code with no span of its own, "
        "and the stock lookup is a bit slow too",
        {"checkout_slow_pricing_ms": 250, "inventory_slow_ms": 150},
        None,
        "POST /orders",
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
    for value, what in ((service, "failing_service"), (sink, "time_sink")):
        if value is not None and not isinstance(value, str):
            return (
                f"{what} should be a name (a str) or None, not a {type(value).__name__}: "
                "return span.service or span.name, not the span itself."
            )
    if service is not None and service not in {r.service for r in trace}:
        if service in {r.name for r in trace}:
            return (
                f"{where}, {service!r} is a span's name: failing_service is the name of the "
                "service that span belongs to (its .service)."
            )
        return f"{where}, {service!r} is not a service in this trace."
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
        return (
            f"{where}, the failing service is not {service!r}: look for the error span none "
            "of whose children is an error."
        )
    if sink != scenario.time_sink:
        longest = max(trace, key=lambda r: r.duration_ms)
        if sink == longest.name:
            return (
                f"{where}, {sink!r} is the longest span, but most of its time is spent in its "
                "children. Use self time: a span's duration minus its children's durations."
            )
        return (
            f"{where}, the time went into {scenario.time_sink!r}, not {sink!r}: compare the "
            "spans' self time, a span's duration minus the durations of its direct children "
            "(not of all its descendants)."
        )
    return None


def _check(diagnose) -> str:
    if not callable(diagnose):
        raise NotYet("diagnose is not a function: define it with def diagnose(trace): ...")
    for scenario in SCENARIOS:
        trace = scenario_trace(scenario)
        try:
            answer = call_learner_code(diagnose, list(trace), name="diagnose")
        except NotYet as problem:
            raise NotYet(f"When {scenario.description}, {problem}") from None
        hint = _hint_for(scenario, trace, answer)
        if hint:
            raise NotYet(hint)
    return f"diagnose names the failing service and the time sink in all {len(SCENARIOS)} traces."


def check_diagnose(diagnose) -> None:
    """Grade ``diagnose(trace) -> (failing_service, time_sink)`` on four planted faults."""
    run_check(_check, diagnose)
