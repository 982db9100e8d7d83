"""Exercise 01: from a trace's spans alone, name the failing service and where the time went.

The expected answers come from the fault planted in each trace, not from a reference
solution. Two sources: the real shop with a planted fault (four scenarios chosen so that
the usual shortcuts fail: the root span instead of the culprit, the longest span instead
of the most self time, all descendants subtracted instead of the direct children), and
traces the check makes up (seeded, not the shop's): other services and span names, the
culprit anywhere from the root to a leaf, the time sink anywhere, spans in any order.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import requests

from services import start_shop

from ..spans import SpanRecord, one_trace
from .harness import NotYet, call_learner_code, plain, require_function
from .report import run_check


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
        shop.clear()  # a slow start-up can leave traced /health polls: keep the checkout only
        requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
        return one_trace(shop.spans())


@functools.cache
def _shop_trace(index: int) -> tuple:
    """Scenario ``index``'s trace, run once per process: each run plants the same fault."""
    return tuple(scenario_trace(SCENARIOS[index]))


SERVICES = ("gateway", "orders", "billing", "ledger", "search", "stock", "mailer")
OPERATIONS = ("GET /cart", "POST /quote", "SELECT rows", "render", "publish event",
              "POST /authorize", "GET /prices", "compute tax", "GET /user", "write ledger",
              "POST /reserve", "lookup rates", "GET /stock", "sign receipt")  # fmt: skip


def made_up(seed: int) -> tuple[Scenario, list[SpanRecord]]:
    """A trace of 6-12 spans: a random tree, children one after another inside their
    parent, one planted time sink (by a wide margin) and zero or one culprit. In half of
    them a decoy: a span with three busy children, which a duration minus only its longest
    child (or minus nothing) would take for the sink."""
    seeded = random.Random(seed)
    count = seeded.randint(6, 12)
    parents = [None] + [seeded.randrange(n) for n in range(1, count)]
    names = seeded.sample(OPERATIONS, count)
    services = [seeded.choice(SERVICES) for _ in range(count)]
    own_ms = [seeded.uniform(1, 10) for _ in range(count)]
    busy: list[int] = []
    if seeded.random() < 0.5:
        decoy = seeded.randrange(count - 3)
        busy = [decoy + 1, decoy + 2, decoy + 3]
        for child in busy:
            parents[child], own_ms[child] = decoy, seeded.uniform(40, 48)
    sink = seeded.choice([n for n in range(count) if n not in busy])
    own_ms[sink] = 55 + seeded.uniform(0, 15) if busy else 60 + seeded.uniform(0, 40)
    children = {n: [c for c in range(count) if parents[c] == n] for n in range(count)}

    def duration(n: int) -> float:
        return own_ms[n] + sum(duration(c) for c in children[n])

    starts = {0: 1_000_000.0}

    def place(n: int) -> None:  # children one after another, after some of the parent's own time
        at = starts[n] + own_ms[n] / 2
        for c in children[n]:
            starts[c] = at
            at += duration(c)
            place(c)

    place(0)
    culprit = seeded.choice([None, seeded.randrange(count)])
    failing = set()
    node = culprit
    while node is not None:
        failing.add(node)
        node = parents[node]
    ids = [f"{seeded.getrandbits(64):016x}" for _ in range(count)]
    trace_id = f"{seeded.getrandbits(128):032x}"
    spans = [
        SpanRecord(
            trace_id,
            ids[n],
            None if parents[n] is None else ids[parents[n]],
            names[n],
            services[n],
            "server" if n == 0 else seeded.choice(("client", "internal")),
            int(starts[n] * 1e6),
            int((starts[n] + duration(n)) * 1e6),
            "ERROR" if n in failing else "UNSET",
        )  # fmt: skip
        for n in range(count)
    ]
    seeded.shuffle(spans)  # a backend returns spans in no particular order
    where = "at the root" if culprit == 0 else "below the root" if culprit is not None else ""
    description = (
        f"a made-up trace (seed {seed}) fails {where}"
        if culprit is not None
        else f"a made-up trace (seed {seed}) has no error"
    )
    failing_service = services[culprit] if culprit is not None else None
    return Scenario(description, {}, failing_service, names[sink]), spans


MADE_UP = tuple(range(101, 131))  # seeds


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


def _cases():
    for index, scenario in enumerate(SCENARIOS):
        yield scenario, list(_shop_trace(index))
    for seed in MADE_UP:
        yield made_up(seed)


def _check(diagnose) -> str:
    require_function(diagnose, "diagnose", "trace")
    total = 0
    for scenario, trace in _cases():
        try:
            answer = plain(call_learner_code(diagnose, list(trace), name="diagnose"))
        except NotYet as problem:
            raise NotYet(f"When {scenario.description}, {problem}") from None
        hint = _hint_for(scenario, trace, answer)
        if hint:
            raise NotYet(hint)
        total += 1
    return (
        f"diagnose names the failing service and the time sink in all {total} traces: "
        f"{len(SCENARIOS)} from the shop, {len(MADE_UP)} made up."
    )


def check_diagnose(diagnose) -> None:
    """Grade ``diagnose(trace) -> (failing_service, time_sink)`` on four planted faults."""
    run_check(_check, diagnose)
