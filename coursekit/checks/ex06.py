"""Exercise 06: trim the account page's 50 spans per request, and keep both incidents.

The learner's answer is a decision per step (``"span"``, ``"event"``, ``"count"`` or
``"drop"``): a dict (step name -> decision, a span-processing config) or a function of a
``Step`` (code), optionally with a sampler. The check asks for each step's decision once
(twice, to catch an answer that changes its mind), then runs the lab (``services/labs/
account_page.py``) on requests of its own, with its own incident schedule:

1. every request still gets its trace (sampling is not reducing) with its own server span;
2. at most ``15`` spans per request;
3. a slow ``SELECT orders`` shows as a span whose duration holds the delay (an event has
   no duration, a count no detail), and a failing call to ``recommendations`` shows as a
   span or an event that names the peer and the error;
4. the overhead, measured in interleaved rounds as extra CPU per request against the
   untraced request's time (``coursekit/span_cost.py``), is under 10%, or, on a machine so
   busy that every span costs more, under half of what all 50 spans cost in the same run.

Only 2 and 4 are about cost: 2 is exact (a count), 4 is measured and has wide margins
(the reference answer measures about a third of the target).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from opentelemetry.sdk.trace.sampling import Sampler

from services.labs.account_page import AccountPage, Step, steps_catalogue
from services.labs.steps import ACTIONS

from .. import span_cost
from .harness import NotYet, _callable_trusted, _untrusted_method, call_learner_code, plain
from .report import run_check

ROOT, SLOW, CALL, PEER = "GET /account", "SELECT orders", "GET /recommendations", "recommendations"


def _setup() -> tuple[range, AccountPage]:
    """The check's own requests, and the lab with its own incident schedule (the lab's
    defaults are 5 and 4), every knob spelled out: a function, not module constants,
    so that learner code cannot retune them without replacing it (which is caught)."""
    lab = AccountPage(
        slow_query_every=3, slow_query_ms=25.0, failing_call_every=5, orders=10, labels=9,
        query_ms=0.6, item_query_ms=0.15, call_ms=1.0, render_ms=1.0,
    )  # fmt: skip
    return range(1, 16), lab


def _limits() -> tuple[int, float, float]:
    """Spans per request, overhead, and the share of the full overhead on a busy machine.
    (Literals in a function: a learner's code cannot retune them without replacing it.)"""
    return 15, 0.10, 0.5


def _decisions(span_policy) -> dict[str, str]:
    steps = steps_catalogue()
    names = [step.name for step in steps]
    if isinstance(span_policy, dict):
        config = plain(dict(span_policy))
        unknown = sorted(str(k) for k in config if k not in names)
        if unknown:
            raise NotYet(
                f"the lab has no step named {unknown[0]!r}: the steps are {', '.join(names)}."
            )
        answers = {name: config.get(name, "span") for name in names}
    elif callable(span_policy):
        answers = {}
        for step in steps:
            first = plain(call_learner_code(span_policy, step, name="span_policy"))
            again = plain(call_learner_code(span_policy, step, name="span_policy"))
            if first != again:
                raise NotYet(
                    f"span_policy said {first!r} and then {again!r} for {step.name!r}: "
                    "decide from the step alone, the same way every time."
                )
            answers[step.name] = first
    else:
        raise NotYet(
            f"span_policy is {type(span_policy).__name__}: a dict (step name -> decision) "
            "or a function def span_policy(step): ..."
        )
    for name, action in answers.items():
        if action is None:
            raise NotYet(
                f"span_policy returned None for {name!r}: return one of "
                f"{', '.join(map(repr, ACTIONS))}."
            )
        if action not in ACTIONS:
            raise NotYet(
                f"{action!r} for {name!r} is not a decision the lab knows: choose from "
                f"{', '.join(map(repr, ACTIONS))} (merging loop iterations is 'count')."
            )
    return answers


def _check_traces(spans, decisions: dict[str, str], requests: range) -> int:
    """The trace checks; returns the spans per request."""
    by_trace = defaultdict(list)
    for span in spans:
        by_trace[span.context.trace_id].append(span)
    if decisions[ROOT] != "span":
        raise NotYet(
            f"the request's own span ({ROOT}, the server span) was set to "
            f"{decisions[ROOT]!r}: every request needs it, or nothing holds the trace together."
        )
    if len(by_trace) < len(requests):
        raise NotYet(
            f"only {len(by_trace)} of {len(requests)} requests have a trace: that is "
            "sampling, which keeps fewer traces at full cost each (and loses incidents). "
            "Reduce the spans of every request instead; leave the sampler out."
        )
    for trace_spans in by_trace.values():
        ids = {span.context.span_id for span in trace_spans}
        orphan = next((s for s in trace_spans if s.parent and s.parent.span_id not in ids), None)
        if orphan is not None:
            raise NotYet(
                f"{orphan.name}'s parent span was never exported: a sampler that drops spans "
                "one by one breaks the trace (and still pays for each span it drops). Decide "
                "per step instead."
            )
    budget, _, _ = _limits()
    per_request = max(len(t) for t in by_trace.values())
    if per_request > budget:
        made = Counter(span.name for span in max(by_trace.values(), key=len))
        top = ", ".join(f"{name} x{n}" for name, n in made.most_common(3))
        raise NotYet(
            f"{per_request} spans per request, over the budget of {budget} (most: {top}). "
            "Turn loop iterations into a count or events, and drop steps that carry no decision."
        )
    return per_request


def _check_incidents(spans, decisions: dict[str, str], requests: range, lab) -> None:
    by_trace = defaultdict(list)
    for span in spans:
        by_trace[span.context.trace_id].append(span)
    traces = sorted(by_trace.values(), key=lambda t: min(s.start_time for s in t))
    slow_ns = 0.8 * lab.slow_query_ms * 1e6
    for number, trace_spans in zip(requests, traces, strict=False):
        if lab.is_slow(number):
            shown = any(
                (s.attributes or {}).get("db.query.summary") == SLOW
                and s.end_time - s.start_time >= slow_ns
                for s in trace_spans
            )
            if not shown:
                how = {
                    "event": "it is an event, and an event has no duration: the slow query "
                    "is invisible. A step whose time matters needs a span.",
                    "count": "it is a count, which says the query ran, not how long it took.",
                    "drop": f"it was dropped: its time shows only as unexplained time in {ROOT}.",
                }.get(decisions[SLOW], "no span carries its duration.")
                raise NotYet(f"request {number} had a slow {SLOW} query, but {how}")
        if lab.call_fails(number):
            if not any(_names_the_failure(s) for s in trace_spans):
                how = {
                    "count": "it is a count, which hides which call failed and how.",
                    "drop": "the call was dropped: nothing in the trace shows it.",
                }.get(decisions[CALL], "no span or event names the peer and the error.")
                raise NotYet(f"request {number}'s call to {PEER} failed (503), but {how}")


def _names_the_failure(span) -> bool:
    attributes = span.attributes or {}
    if attributes.get("service.peer.name") == PEER and not span.status.is_ok:
        return True
    return any(
        (event.attributes or {}).get("service.peer.name") == PEER
        and "error.type" in (event.attributes or {})
        for event in span.events
    )


def _sdk_sampler(sampler) -> None:
    """The SDK's own samplers only (ParentBased, TraceIdRatioBased, ALWAYS_ON...), made of
    the SDK's own parts. A sampler runs inside the check, in its thread and with no watch:
    one of the learner's own could add attributes to spans or reach the check's lab."""
    if not isinstance(sampler, Sampler):
        raise NotYet(f"sampler is {type(sampler).__name__}: an SDK Sampler, or None.")
    cls = type(sampler)
    module = sys.modules.get(cls.__module__)
    own = (
        cls.__module__.startswith("opentelemetry.sdk.")
        and getattr(module, cls.__qualname__, None) is cls
        and all(_untrusted_method(c) is None for c in cls.__mro__[:-1])
    )
    if not own:
        raise NotYet(
            f"sampler is a {cls.__name__}, a class of your own: a sampler runs inside the "
            "check, so it takes only the SDK's own (ALWAYS_ON, ParentBased, TraceIdRatioBased), "
            "or None. Trim spans with span_policy."
        )
    for part in vars(sampler).values():
        if isinstance(part, Sampler):
            _sdk_sampler(part)
        elif callable(part) and not _callable_trusted(part):
            raise NotYet(
                f"a {cls.__name__} whose methods were replaced on the object is not the SDK's "
                "sampler any more: leave the sampler as the SDK makes it, or None."
            )


def _check_span_count(spans, decisions: dict[str, str]) -> None:
    """Every kept trace has the spans the decisions make: a sampler may keep or drop whole
    traces (then the trace check says so), never single spans within one."""
    expected = sum(step.per_request for step in steps_catalogue() if decisions[step.name] == "span")
    by_trace = Counter(span.context.trace_id for span in spans)
    short = min(by_trace.values(), default=expected)
    if short < expected:
        raise NotYet(
            f"a trace kept {short} of the {expected} spans your decisions make: the sampler "
            "dropped spans one by one, and each dropped span still costs most of a span. "
            "Decide per step with span_policy, and leave the sampler out."
        )


def _check(span_policy, sampler=None) -> str:
    if sampler is not None:
        _sdk_sampler(sampler)
    decisions = _decisions(span_policy)
    requests, lab = _setup()
    spans = span_cost.run(decisions, requests, lab=lab, sampler=sampler)
    per_request = _check_traces(spans, decisions, requests)
    _check_span_count(spans, decisions)
    _check_incidents(spans, decisions, requests, lab)
    _, target, share = _limits()
    measured = span_cost.measure(
        {"all 50 spans": None, "yours": decisions},
        rounds=5,
        requests=10,
        lab=lab,
        samplers={"yours": sampler},
    )
    made = measured.spans_per_request("yours")
    if made != per_request:
        raise NotYet(
            f"{made:g} spans per request while the check measured, {per_request} while it read "
            "the traces: the overhead is graded on what the traces show, so the set-up must "
            "make the same spans every time (a sampler that changes its mind does not)."
        )
    yours, full = measured.overhead("yours"), measured.overhead("all 50 spans")
    if yours > target and yours > share * full:
        raise NotYet(
            f"measured {yours:.0%} overhead (all 50 spans: {full:.0%} in the same run), over "
            f"the target of {target:.0%}: events cost too, keep fewer, or make them counts."
        )
    return (
        "every request keeps its trace, within 15 spans and under 10% measured overhead, "
        "and the trace still shows the slow SELECT orders and the failed call to "
        "recommendations."
    )


def check(span_policy, sampler=None) -> None:
    """Grade ``span_policy`` (a dict or a function of a Step) and an optional sampler."""
    run_check(_check, span_policy, sampler)


__all__ = ["Step", "check"]


def preview(span_policy, requests: int = 5) -> None:
    """What the decisions make of the lab's first requests (its own schedule: a slow
    query on request 5, a failed call on request 4): spans per request, and what shows
    each incident. Prints a hint instead when the decisions cannot run."""
    try:
        decisions = _decisions(span_policy)
    except NotYet as problem:
        print(f"no preview yet: {problem}")
        return
    lab = AccountPage()
    spans = span_cost.run(decisions, range(1, requests + 1), lab=lab)
    by_trace = defaultdict(list)
    for span in spans:
        by_trace[span.context.trace_id].append(span)
    traces = sorted(by_trace.values(), key=lambda t: min(s.start_time for s in t))
    for number, trace_spans in enumerate(traces, start=1):
        notes = []
        if lab.is_slow(number):
            slow = [s for s in trace_spans if (s.attributes or {}).get("db.query.summary") == SLOW]
            notes.append(
                f"slow query: {SLOW} {(slow[0].end_time - slow[0].start_time) / 1e6:.0f} ms"
                if slow
                else f"slow query: no {SLOW} span"
            )
        if lab.call_fails(number):
            shown = any(_names_the_failure(s) for s in trace_spans)
            notes.append(f"failed call: {'shown' if shown else 'not shown'}")
        print(f"request {number}: {len(trace_spans):2} spans" + "".join(f"; {n}" for n in notes))
