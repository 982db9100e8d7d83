"""Tail sampling in the receiver, configured from the Collector YAML the course ships."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import requests
import yaml
from fnvhash import fnv1a_64
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

import coursekit as ck
from services.backend.receiver import ReceivedSpan, Receiver
from services.backend.tail_sampling import Policy, TailSampler, probabilistic_threshold
from services.common.telemetry import SeededIdGenerator, make_tracer_provider
from services.run.in_process import Shop

YAML = Path(__file__).resolve().parent.parent / "docker" / "otel-collector-tail-sampling.yaml"
MS = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def trace(trace_id: int, *, ms: float = 20, error: bool = False, spans: int = 3):
    """A crafted trace: `spans` spans over `ms` milliseconds, the last one an error."""
    out = []
    for n in range(spans):
        span = Span(trace_id=trace_id.to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"),
                    name=f"span {n}", start_time_unix_nano=10 * MS,
                    end_time_unix_nano=int(10 * MS + ms * MS * (n + 1) / spans))  # fmt: skip
        if error and n == spans - 1:
            span.status.code = Status.STATUS_CODE_ERROR
        out.append(ReceivedSpan({"service.name": "test"}, "test", span))
    return out


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sampler(clock):
    return TailSampler.from_collector_file(YAML, clock=clock)


def test_the_shipped_yaml_configures_the_policies_the_lesson_describes(sampler):
    assert [(p.name, p.type) for p in sampler.policies] == [
        ("keep-errors", "status_code"),
        ("keep-slow", "latency"),
        ("some-of-the-rest", "probabilistic"),
    ]
    assert sampler.decision_wait_s == 10
    config = yaml.safe_load(YAML.read_text())
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["processors"] == ["memory_limiter", "tail_sampling"]
    assert set(pipeline["exporters"]) <= set(config["exporters"])


def test_nothing_is_decided_before_the_decision_wait(sampler, clock):
    assert sampler.add(trace(1, error=True)) == []
    clock.now += 9.9
    assert sampler.decide() == [] and sampler.pending_traces == 1
    clock.now += 0.2
    assert len(sampler.decide()) == 3 and sampler.pending_traces == 0


def test_errors_and_slow_traces_are_always_kept_and_a_tenth_of_the_rest(sampler, clock):
    seeded = random.Random(5)
    ids = [seeded.getrandbits(128) | 1 for _ in range(2000)]
    for n, trace_id in enumerate(ids):
        sampler.add(trace(trace_id, error=n < 50, ms=1500 if 50 <= n < 100 else 20))
    clock.now += 10
    kept = {s.otlp_span.trace_id for s in sampler.decide()}
    wanted = {i.to_bytes(16, "big") for i in ids[:100]}
    assert wanted <= kept, "every error and every slow trace must be kept"
    assert sampler.kept_by["keep-errors"] == 50
    assert sampler.kept_by["keep-slow"] == 50
    share_of_rest = (len(kept) - 100) / 1900
    assert 0.08 < share_of_rest < 0.12, share_of_rest
    assert sampler.traces_kept == len(kept) and sampler.traces_dropped == 2000 - len(kept)


def ids_the_share_of_the_rest(sampler, keeps: bool, count: int = 1) -> list[int]:
    """Trace ids that the probabilistic policy keeps (or drops)."""
    policy = next(p for p in sampler.policies if p.type == "probabilistic")
    seeded = random.Random(1)
    candidates = (seeded.getrandbits(128) for _ in range(10_000))
    found = (i for i in candidates if policy.samples(i.to_bytes(16, "big"), [], 0) == keeps)
    return [next(found) for _ in range(count)]


def test_late_spans_follow_the_decision(sampler, clock):
    [kept] = ids_the_share_of_the_rest(sampler, keeps=True)
    [dropped] = ids_the_share_of_the_rest(sampler, keeps=False)
    sampler.add(trace(kept)[:2])
    sampler.add(trace(dropped)[:2])
    clock.now += 10
    assert len(sampler.decide()) == 2, "only the kept trace's first two spans"
    assert len(sampler.add(trace(kept)[2:])) == 1
    assert sampler.add(trace(dropped, error=True)[2:]) == [], "decided: a late error is too late"


def test_the_share_of_the_rest_is_the_collectors_salted_hash():
    assert fnv1a_64(b"") == 0xCBF29CE484222325 and fnv1a_64(b"foobar") == 0x85944171F73967E8
    assert probabilistic_threshold(100) == 2**64 - 1 and probabilistic_threshold(0) == 0
    assert abs(probabilistic_threshold(10) - (2**64 - 1) // 10) < 2**12  # 0.1 as a float
    seeded = random.Random(9)
    ids = [seeded.getrandbits(128) for _ in range(20_000)]
    default = Policy("p", "probabilistic", {"sampling_percentage": 10})
    salted = Policy("p", "probabilistic", {"sampling_percentage": 10, "hash_salt": "tier-2"})
    kept = {i for i in ids if default.samples(i.to_bytes(16, "big"), [], 0)}
    assert 0.09 < len(kept) / len(ids) < 0.11
    # Independent of the SDK's TraceIdRatioBased: layered, 10% of 10% is about 1%.
    head = TraceIdRatioBased(0.1)
    head_kept = [i for i in ids if head.should_sample(None, i, "x").decision.is_sampled()]
    assert 0.07 < sum(i in kept for i in head_kept) / len(head_kept) < 0.13
    # Another salt chooses other traces (the Collector's hash_salt).
    salted_kept = {i for i in ids if salted.samples(i.to_bytes(16, "big"), [], 0)}
    assert 0.07 < len(kept & salted_kept) / len(kept) < 0.13


def test_rate_limiting_keeps_a_budget_of_spans_per_second(clock):
    limiter = TailSampler([Policy("budget", "rate_limiting", {"spans_per_second": 20})], 0, clock)
    kept = [len(limiter.add(trace(n, spans=9))) for n in range(1, 6)]
    assert kept == [9, 9, 0, 0, 0]
    clock.now += 1
    assert len(limiter.add(trace(99, spans=9))) == 9


def test_bad_policies_are_refused():
    with pytest.raises(ValueError, match="unsupported type 'numeric_attribute'"):
        Policy("x", "numeric_attribute", {})
    with pytest.raises(ValueError, match="at least one policy"):
        TailSampler([])


def test_the_receiver_keeps_every_failing_checkout_of_the_shop():
    receiver = Receiver(tail_sampler=TailSampler.from_collector_file(YAML)).start()
    ids = SeededIdGenerator(3)

    def provider(service):
        exporter = OTLPSpanExporter(endpoint=receiver.endpoint)
        return make_tracer_provider(service, exporter, id_generator=ids,
                                    processor_factory=SimpleSpanProcessor)  # fmt: skip

    try:
        from services import ShopConfig

        config = ShopConfig(payment_timeout_every=5, payment_provider_timeout_s=0.01)
        with Shop(config, provider_factory=provider) as shop:
            codes = [requests.post(f"{shop.url()}/checkout", json={}, timeout=10).status_code
                     for _ in range(20)]  # fmt: skip
        assert codes.count(502) == 4
        assert receiver.spans() == [], "nothing is stored before the decision"
        receiver.decide_now()
        traces = ck.by_trace(receiver.spans())
        failing = [t for t in traces.values() if t[0].is_error]
        assert len(failing) == 4 and all(len(t) == 9 for t in traces.values())
        assert receiver.store.tail_sampler.traces_kept == len(traces) < 20
    finally:
        receiver.stop()
