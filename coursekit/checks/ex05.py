"""Exercise 05: tail-sampling policies for the checkout SLO, in the Collector's shape.

Graded on traffic the check makes up (seeded, so every run is the same, and not what the
notebook shows): checkouts arrive at two rates the text allows (a quiet hour and a busy
one), fast ones spread up to just under the SLO, slow ones from just over it, errors at
both. The learner's policies go through the course's tail sampler
(``services/backend/tail_sampling.py``), which reads them as the Collector's ``tail_sampling``
processor would, on a clock that follows the traffic.

The baseline is judged as a share of the traffic: consistent with 2-10% given the
binomial spread of a hash-based sample (10% may keep 10.1%), and the same share near the
SLO as far from it, and at either rate. A latency threshold under the SLO, or a rate limit,
keeps a share that depends on latency or on traffic, and fails.
"""

from __future__ import annotations

import json
import math
import random

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from services.backend.receiver import ReceivedSpan
from services.backend.tail_sampling import STATUS_NAMES, TailSampler

from .harness import NotYet, call_learner_code, require_function
from .report import run_check

SLO_MS = 500
BASELINE = (2.0, 10.0)  # percent of the other traces
BUDGET = 15.0  # percent of the spans received
RATES = (20, 400)  # checkouts per second, a quiet hour and a busy one
TRACES = 4000  # per rate
NEAR_MS = 40  # "near the SLO": this close under it
SERVICES = ("frontend", "frontend", "checkout", "checkout", "inventory", "checkout",
            "payment", "payment", "payment")  # fmt: skip
TYPES = ("status_code", "latency", "probabilistic", "rate_limiting", "always_sample")
#: The settings the course's tail sampler implements, per policy type.
SETTINGS = {"status_code": {"status_codes"}, "latency": {"threshold_ms"},
            "probabilistic": {"sampling_percentage", "hash_salt"},
            "rate_limiting": {"spans_per_second"}, "always_sample": set()}  # fmt: skip
MS = 1_000_000
Z = 3.0  # binomial standard deviations a share may stray from the bounds of the text
Z_SAME = 4.0  # ... and two shares from each other (a few comparisons, none should fail)


def _trace(trace_id: int, start_s: float, duration_ms: float, error: bool) -> list[ReceivedSpan]:
    """A checkout's nine spans over ``duration_ms``; with an error, the last one failed."""
    spans = []
    begin = int(start_s * 1e9)
    for n, service in enumerate(SERVICES):  # nested: each span inside the one before
        offset = int(duration_ms * MS * n / 20)
        span = Span(trace_id=trace_id.to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"),
                    name=f"step {n}", start_time_unix_nano=begin + offset,
                    end_time_unix_nano=begin + int(duration_ms * MS) - offset)  # fmt: skip
        if n:
            span.parent_span_id = n.to_bytes(8, "big")
        if error and n == len(SERVICES) - 1:
            span.status.code = Status.STATUS_CODE_ERROR
        spans.append(ReceivedSpan({"service.name": service}, "shop", span))
    return spans


def traffic(seed: int = 20261130, rates=RATES, per_rate: int = TRACES):
    """(arrival s, rate, kind, duration ms, spans) per checkout: about 1% errors (fast or
    slow), 3% slower than the SLO (from just over it), the rest fast (a quarter of them
    within NEAR_MS under it). Kinds: "error", "slow", "other"."""
    seeded = random.Random(seed)
    out = []
    clock = 0.0
    for rate in rates:
        for _ in range(per_rate):
            clock += seeded.expovariate(rate)
            trace_id = seeded.getrandbits(128) | 1
            draw = seeded.random()
            if draw < 0.01:
                fast, slow = seeded.uniform(20, SLO_MS - 0.5), seeded.uniform(SLO_MS, 2 * SLO_MS)
                kind, ms = "error", seeded.choice((fast, slow + 0.5))
            elif draw < 0.04:  # slow: many just over the SLO, some far over it
                kind, ms = "slow", SLO_MS + min(seeded.expovariate(1 / 40), 3 * SLO_MS) + 0.2
            elif draw < 0.28:
                kind, ms = "other", seeded.uniform(SLO_MS - NEAR_MS, SLO_MS - 0.2)
            else:
                kind, ms = "other", seeded.uniform(20, SLO_MS - NEAR_MS)
            out.append((clock, rate, kind, ms, _trace(trace_id, clock, ms, kind == "error")))
    return out


def _policies(tail_policies) -> list:
    policies = call_learner_code(tail_policies, name="tail_policies")
    if policies is None:
        raise NotYet(
            "tail_policies returned None: return a list of policies, each a dict such as "
            '{"name": "keep-errors", "type": "status_code", ...}.'
        )
    if not isinstance(policies, list | tuple) or not policies:
        raise NotYet(f"tail_policies returned {policies!r}: return a non-empty list of dicts.")
    try:  # what a YAML file can hold: plain data, read once
        policies = json.loads(json.dumps(list(policies)))
    except (TypeError, ValueError) as error:
        raise NotYet(f"the policies are not plain data a YAML file can hold: {error}") from None
    for policy in policies:
        if not isinstance(policy, dict) or not {"name", "type"} <= set(policy):
            raise NotYet(f"{policy!r} is not a policy: each needs a name and a type.")
        if policy["type"] not in TYPES:
            raise NotYet(
                f"policy {policy['name']!r} has type {policy['type']!r}; the receiver knows "
                f"{', '.join(TYPES)}."
            )
        if policy["type"] != "always_sample" and not isinstance(policy.get(policy["type"]), dict):
            raise NotYet(
                f"policy {policy['name']!r}: its settings go under the key {policy['type']!r}, "
                f"as in the Collector: {{'type': {policy['type']!r}, {policy['type']!r}: {{...}}}}."
            )
        known = SETTINGS[policy["type"]]
        unknown = set(policy.get(policy["type"]) or {}) - known
        if unknown:
            raise NotYet(
                f"policy {policy['name']!r}: the course's tail sampler does not implement "
                f"{', '.join(sorted(unknown))} (it knows {', '.join(sorted(known)) or 'none'}), "
                "so the check cannot see what a real Collector would keep with it."
            )
        if policy["type"] == "status_code":
            codes = policy["status_code"].get("status_codes")
            if not isinstance(codes, list) or not set(codes) <= set(STATUS_NAMES.values()):
                raise NotYet(
                    f"policy {policy['name']!r}: status_codes is a list of UNSET, OK or ERROR, "
                    f"in capitals, not {codes!r}."
                )
    return policies


def kept_traces(policies, checkouts) -> set[int]:
    """Indexes of the checkouts the policies keep, deciding ``decision_wait`` after each
    trace's first span, on a clock that follows the arrivals."""
    now = [0.0]
    config = {"processors": {"tail_sampling": {"decision_wait": "10s", "policies": policies}}}
    index_of = {spans[0].otlp_span.trace_id: n for n, (*_, spans) in enumerate(checkouts)}
    kept: set[int] = set()
    try:
        sampler = TailSampler.from_collector_config(config, clock=lambda: now[0])
        for arrival, _rate, _kind, _ms, spans in checkouts:
            now[0] = arrival
            kept.update(index_of[s.otlp_span.trace_id] for s in sampler.add(spans))
        now[0] += 60
        kept.update(index_of[s.otlp_span.trace_id] for s in sampler.decide(force=True))
    except KeyError as missing:
        raise NotYet(
            f"a policy is missing its setting {missing}: see the Collector's settings for "
            "that policy type (threshold_ms, sampling_percentage, status_codes...)."
        ) from None
    except (ValueError, TypeError) as error:
        raise NotYet(f"the tail sampler could not use your policies: {error}") from None
    return kept


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def _spread(share: float, n: int, z: float = Z) -> float:
    """z binomial standard deviations of a share measured on n traces (at least 1/n)."""
    return z * math.sqrt(max(share * (1 - share), 1 / n) / n)


def _thresholds(policies) -> str:
    values = [p["latency"].get("threshold_ms") for p in policies if p["type"] == "latency"]
    return f" (your threshold_ms: {', '.join(map(str, values))})" if values else ""


def _check(tail_policies) -> str:
    require_function(tail_policies, "tail_policies", "")
    policies = _policies(tail_policies)
    checkouts = traffic()
    kept = kept_traces(policies, checkouts)
    flags = [(n in kept, rate, kind, ms) for n, (_, rate, kind, ms, _) in enumerate(checkouts)]

    errors = [k for k, _, kind, _ in flags if kind == "error"]
    if not all(errors):
        raise NotYet(
            f"kept {sum(errors)} of the {len(errors)} traces with an error: every failure "
            "must be kept, fast or slow; a status_code policy keeps traces by span status "
            "(status_codes: [ERROR])."
        )
    slow = [(k, ms) for k, _, kind, ms in flags if kind == "slow"]
    missed = [ms for k, ms in slow if not k]
    if missed:
        raise NotYet(
            f"kept {len(slow) - len(missed)} of the {len(slow)} traces slower than the "
            f"{SLO_MS} ms SLO; one of {min(missed):.1f} ms was dropped{_thresholds(policies)}. "
            "Every trace that breaks the SLO is kept, however little it breaks it."
        )
    other = [(k, rate, ms) for k, rate, kind, ms in flags if kind == "other"]
    share = _share([k for k, _, _ in other])
    low, high = (b / 100 for b in BASELINE)
    probabilistic = [p["probabilistic"].get("sampling_percentage") for p in policies
                     if p["type"] == "probabilistic"]  # fmt: skip
    near = [k for k, _, ms in other if ms >= SLO_MS - NEAR_MS]
    far = [k for k, _, ms in other if ms < SLO_MS - NEAR_MS]
    if abs(_share(near) - _share(far)) > _spread(share, len(near), Z_SAME):
        raise NotYet(
            f"kept {100 * _share(near):.0f}% of the fast traces within {NEAR_MS} ms under "
            f"the SLO but {100 * _share(far):.0f}% of the faster ones{_thresholds(policies)}: "
            "a trace that meets the SLO is kept only by the baseline, whatever its latency."
        )
    quiet, busy = ([k for k, rate, _ in other if rate == r] for r in RATES)
    if abs(_share(quiet) - _share(busy)) > _spread(share, min(len(quiet), len(busy)), Z_SAME):
        raise NotYet(
            f"the baseline kept {100 * _share(quiet):.0f}% of the other traces at {RATES[0]} "
            f"checkouts/s but {100 * _share(busy):.0f}% at {RATES[1]}/s: a baseline is a "
            "share of the traffic, the same at any rate (a rate limit is not a percentage)."
        )
    if share < low - _spread(low, len(other)):
        ratio = any(isinstance(v, int | float) and 0 < v < 1 for v in probabilistic)
        raise NotYet(
            f"kept {100 * share:.1f}% of the other traces (fast, no error); keep a baseline "
            f"of {BASELINE[0]:g} to {BASELINE[1]:g}% of them to compare with."
            + (
                " sampling_percentage is a percentage: 5 means 5%, 0.05 means 0.05%."
                if ratio
                else ""
            )  # fmt: skip
        )
    if share > high + _spread(high, len(other)):
        raise NotYet(
            f"kept {100 * share:.1f}% of the other traces (fast, no error): at most "
            f"{BASELINE[1]:g}%, or storage runs over budget. Keep nothing beyond the errors, "
            "the slow traces and the baseline."
        )
    received = sum(len(spans) for *_, spans in checkouts)
    stored = sum(len(checkouts[n][-1]) for n in kept)
    if 100 * stored / received > BUDGET:
        raise NotYet(
            f"stored {100 * stored / received:.1f}% of the spans: the budget is {BUDGET:g}%."
        )
    return (
        f"every error trace, every trace over the {SLO_MS} ms SLO and a steady baseline of "
        f"{BASELINE[0]:g}-{BASELINE[1]:g}% of the rest are kept, within the {BUDGET:g}% "
        "storage budget, at both rates."
    )


def preview(tail_policies, seed: int = 7) -> None:
    """What the policies keep of a day like the check's (another seed): the reveal after
    the learner's prediction. Prints a hint instead when the policies cannot run."""
    try:
        policies = _policies(tail_policies)
        checkouts = traffic(seed, per_rate=1000)
        kept = kept_traces(policies, checkouts)
    except NotYet as problem:
        print(f"no preview yet: {problem}")
        return
    spans = sum(len(c[-1]) for c in checkouts)
    stored = sum(len(checkouts[n][-1]) for n in kept)
    other = [n for n, c in enumerate(checkouts) if c[2] == "other"]
    print(
        f"of {len(checkouts):,} checkouts: stored {stored / spans:.1%} of the spans; "
        f"kept {sum(n in kept for n in other) / len(other):.1%} of the good checkouts."
    )


def check_tail_policies(tail_policies) -> None:
    """Grade ``tail_policies() -> list of Collector tail_sampling policies``."""
    run_check(_check, tail_policies)
