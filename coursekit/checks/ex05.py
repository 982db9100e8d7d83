"""Exercise 05: tail-sampling policies for the checkout SLO, in the Collector's shape.

Graded on a day's sample of checkout traces, crafted and seeded (the same every run): the
learner's policies go through the course's tail sampler (``services/tail_sampling.py``),
which reads them as the Collector's ``tail_sampling`` processor would.
"""

from __future__ import annotations

import random

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from services.backend.receiver import ReceivedSpan
from services.backend.tail_sampling import STATUS_NAMES, TailSampler

from .report import NotYet, call_learner_code, run_check

SLO_MS = 500
BASELINE = (2.0, 10.0)  # percent of the other traces
BUDGET = 15.0  # percent of the spans received
TRACES = 2000
SERVICES = ("frontend", "frontend", "checkout", "checkout", "inventory", "checkout",
            "payment", "payment", "payment")  # fmt: skip
TYPES = ("status_code", "latency", "probabilistic", "rate_limiting", "always_sample")
MS = 1_000_000


def _trace(trace_id: int, duration_ms: float, error: bool) -> list[ReceivedSpan]:
    """A checkout's nine spans over `duration_ms`; with an error, the last one failed."""
    spans = []
    for n, service in enumerate(SERVICES):  # nested: each span inside the one before
        offset = int(duration_ms * MS * n / 20)
        span = Span(trace_id=trace_id.to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"),
                    name=f"step {n}", start_time_unix_nano=10 * MS + offset,
                    end_time_unix_nano=10 * MS + int(duration_ms * MS) - offset)  # fmt: skip
        if n:
            span.parent_span_id = n.to_bytes(8, "big")
        if error and n == len(SERVICES) - 1:
            span.status.code = Status.STATUS_CODE_ERROR
        spans.append(ReceivedSpan({"service.name": service}, "shop", span))
    return spans


def traffic(seed: int = 5):
    """(trace id, kind, spans) for TRACES checkouts: 1% errors, 3% over the SLO, the rest
    fast (some close to it). Kinds: "error", "slow", "other"."""
    seeded = random.Random(seed)
    out = []
    for n in range(TRACES):
        trace_id = seeded.getrandbits(128) | 1
        if n % 100 == 7:
            kind, ms = "error", seeded.uniform(20, 400)
        elif n % 100 in (13, 41, 77):
            kind, ms = "slow", seeded.uniform(SLO_MS + 10, 3 * SLO_MS)
        else:
            kind, ms = "other", seeded.uniform(20, SLO_MS - 20)
        out.append((trace_id, kind, _trace(trace_id, ms, kind == "error")))
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
        if policy["type"] == "status_code":
            codes = policy["status_code"].get("status_codes")
            if not isinstance(codes, list) or not set(codes) <= set(STATUS_NAMES.values()):
                raise NotYet(
                    f"policy {policy['name']!r}: status_codes is a list of UNSET, OK or ERROR, "
                    f"in capitals, not {codes!r}."
                )
    return list(policies)


def _decide(policies) -> dict[bytes, bool]:
    config = {"processors": {"tail_sampling": {"decision_wait": "10s", "policies": policies}}}
    try:
        sampler = TailSampler.from_collector_config(config, clock=lambda: 0.0)
        kept = set()
        for _trace_id, _kind, spans in traffic():
            kept.update(s.otlp_span.trace_id for s in sampler.add(spans))
        kept.update(s.otlp_span.trace_id for s in sampler.decide(force=True))
    except KeyError as missing:
        raise NotYet(
            f"a policy is missing its setting {missing}: see the Collector's settings for "
            "that policy type (threshold_ms, sampling_percentage, status_codes...)."
        ) from None
    except (ValueError, TypeError) as error:
        raise NotYet(f"the tail sampler could not use your policies: {error}") from None
    return kept


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def _check(tail_policies) -> str:
    if not callable(tail_policies):
        raise NotYet("tail_policies is not a function: def tail_policies():")
    policies = _policies(tail_policies)
    kept = _decide(policies)
    by_kind: dict[str, list] = {"error": [], "slow": [], "other": []}
    for trace_id, kind, spans in traffic():
        by_kind[kind].append((trace_id.to_bytes(16, "big") in kept, len(spans)))

    errors_kept = sum(k for k, _ in by_kind["error"])
    if errors_kept < len(by_kind["error"]):
        raise NotYet(
            f"kept {errors_kept} of the {len(by_kind['error'])} traces with an error: add a "
            "status_code policy with status_codes: [ERROR], so every failure is kept."
        )
    slow_kept = sum(k for k, _ in by_kind["slow"])
    if slow_kept < len(by_kind["slow"]):
        thresholds = [p["latency"].get("threshold_ms") for p in policies if p["type"] == "latency"]
        detail = f" (your threshold_ms: {thresholds[0]})" if thresholds else ""
        raise NotYet(
            f"kept {slow_kept} of the {len(by_kind['slow'])} traces slower than the "
            f"{SLO_MS} ms SLO{detail}: a latency policy with threshold_ms: {SLO_MS} keeps "
            "every trace that breaks it."
        )
    share = _percent(sum(k for k, _ in by_kind["other"]), len(by_kind["other"]))
    low, high = BASELINE
    if share < low:
        raise NotYet(
            f"kept {share:.1f}% of the other traces (fast, no error); keep a baseline of "
            f"{low:g} to {high:g}% to compare with. sampling_percentage is a percentage: "
            "5 means 5%."
        )
    if share > high:
        raise NotYet(
            f"kept {share:.1f}% of the other traces (fast, no error): at most {high:g}%, or "
            "storage runs over budget. Check the latency threshold and the probabilistic "
            "sampling_percentage, and use no always_sample or rate_limiting policy here."
        )
    received = sum(n for spans in by_kind.values() for _, n in spans)
    stored = sum(n for spans in by_kind.values() for k, n in spans if k)
    if _percent(stored, received) > BUDGET:
        raise NotYet(f"stored {_percent(stored, received):.1f}% of the spans: the budget is "
                     f"{BUDGET:g}%.")  # fmt: skip
    return (
        f"every error trace, every trace over the {SLO_MS} ms SLO and a baseline of "
        f"{low:g}-{high:g}% of the rest are kept, within the {BUDGET:g}% storage budget."
    )


def check_tail_policies(tail_policies) -> None:
    """Grade ``tail_policies() -> list of Collector tail_sampling policies``."""
    run_check(_check, tail_policies)
