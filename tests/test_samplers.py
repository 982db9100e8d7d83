"""The samplers lesson 05 compares: ratio, parent-based, the rate limiter, and per-service
samplers in the shop. Time-dependent behaviour runs on a fake clock."""

from __future__ import annotations

import os
import sys
import threading
from unittest import mock

import pytest
import requests
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

import coursekit as ck
from coursekit.sampling import is_complete
from services import Shop, ShopConfig
from services.common.telemetry import SeededIdGenerator
from services.labs.samplers import RateLimitingSampler

FAST = ShopConfig(base_latency_ms=0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def provider(sampler, seed: int = 1):
    exporter = InMemorySpanExporter()
    made = TracerProvider(sampler=sampler, id_generator=SeededIdGenerator(seed))
    made.add_span_processor(SimpleSpanProcessor(exporter))
    return made, exporter


def roots(sampler, count: int) -> int:
    """How many of `count` new traces `sampler` keeps (no parent)."""
    return sum(
        sampler.should_sample(None, trace_id, "checkout").decision.is_sampled()
        for trace_id in range(1, count + 1)
    )


def parent(sampled: bool, remote: bool = True):
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(0xABC, 0xDEF, is_remote=remote, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(context))


# --- the ratio sampler, on real spans ----------------------------------------------------------
@pytest.mark.parametrize("ratio", [0.01, 0.1, 0.5])
def test_the_ratio_sampler_keeps_its_share_over_a_seeded_run(ratio):
    made, exporter = provider(TraceIdRatioBased(ratio))
    tracer = made.get_tracer("test")
    for _ in range(20_000):
        with tracer.start_as_current_span("checkout"):
            pass
    share = len(exporter.get_finished_spans()) / 20_000
    spread = (ratio * (1 - ratio) / 20_000) ** 0.5
    assert abs(share - ratio) < 4 * spread, (share, ratio)


def test_the_same_trace_id_gets_the_same_ratio_decision_and_lower_ratios_keep_a_subset():
    low, high = TraceIdRatioBased(0.1), TraceIdRatioBased(0.5)
    generator = SeededIdGenerator(3)
    ids = [generator.generate_trace_id() for _ in range(2000)]
    for trace_id in ids:
        kept_low = low.should_sample(None, trace_id, "a").decision.is_sampled()
        assert kept_low == low.should_sample(None, trace_id, "b").decision.is_sampled()
        if kept_low:
            assert high.should_sample(None, trace_id, "a").decision.is_sampled()


# --- parent-based --------------------------------------------------------------------------------
@pytest.mark.parametrize("remote", [True, False])
def test_parent_based_follows_the_parent_whatever_its_root_sampler_says(remote):
    follow = ParentBased(TraceIdRatioBased(0.0))
    assert follow.should_sample(parent(True, remote), 0xABC, "x").decision.is_sampled()
    keep_all = ParentBased(ALWAYS_ON)
    assert not keep_all.should_sample(parent(False, remote), 0xABC, "x").decision.is_sampled()


def test_parent_based_keeps_whole_traces_in_a_real_tracer():
    made, exporter = provider(ParentBased(TraceIdRatioBased(0.3)))
    tracer = made.get_tracer("test")
    for _ in range(500):
        with tracer.start_as_current_span("root"):
            with tracer.start_as_current_span("child"):
                pass
    spans = exporter.get_finished_spans()
    by_trace = {}
    for span in spans:
        by_trace.setdefault(span.context.trace_id, []).append(span.name)
    assert all(sorted(names) == ["child", "root"] for names in by_trace.values())
    assert 0.2 < len(by_trace) / 500 < 0.4


# --- the rate limiter ----------------------------------------------------------------------------
def test_the_rate_limiter_describes_itself_and_refuses_nonsense():
    assert RateLimitingSampler(10).get_description() == "RateLimiting{10.0}"
    assert "root:RateLimiting{2.5}" in ParentBased(RateLimitingSampler(2.5)).get_description()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="above 0"):
            RateLimitingSampler(bad)
    with pytest.raises(ValueError, match="at least 1"):
        RateLimitingSampler(10, burst=0.5)


def test_the_rate_limiter_holds_its_rate_under_a_burst():
    clock = Clock()
    limiter = RateLimitingSampler(10, clock=clock)
    assert roots(limiter, 1000) == 10, "a full bucket: one second's worth"
    assert roots(limiter, 1000) == 0, "empty until time passes"
    clock.now += 0.5
    assert roots(limiter, 1000) == 5
    clock.now += 60
    assert roots(limiter, 1000) == 10, "a quiet minute refills only up to the burst"
    kept = 0
    for _ in range(80):  # a steady flood: 100 traces every 1/8 s for 10 s
        clock.now += 0.125
        kept += roots(limiter, 100)
    assert kept == 100, "10 per second, and no more"


def test_the_burst_is_configurable_and_a_clock_going_back_spends_nothing():
    clock = Clock()
    limiter = RateLimitingSampler(2, burst=5, clock=clock)
    assert roots(limiter, 100) == 5
    clock.now -= 10
    assert roots(limiter, 100) == 0


def test_the_rate_limiter_follows_a_parent_and_spends_no_token_on_it():
    clock = Clock()
    limiter = RateLimitingSampler(1, clock=clock)
    for _ in range(50):
        assert limiter.should_sample(parent(True), 0xABC, "x").decision.is_sampled()
        assert not limiter.should_sample(parent(False), 0xABC, "x").decision.is_sampled()
        assert limiter.should_sample(parent(True, remote=False), 0xABC, "x").decision.is_sampled()
    assert roots(limiter, 10) == 1, "the children spent none of the bucket"
    result = limiter.should_sample(parent(False), 0xABC, "x", attributes={"a": 1})
    assert result.attributes == {} or not result.attributes, "a dropped span keeps nothing"


def test_the_rate_limiter_is_thread_safe():
    clock = Clock()
    limiter = RateLimitingSampler(50, clock=clock)
    kept = []
    start = threading.Barrier(8)

    def hammer():
        start.wait()
        kept.append(roots(limiter, 2000))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert sum(kept) == 50, "no token spent twice"


def test_each_token_is_refilled_and_spent_under_the_lock():
    """With the GIL, a version without the lock rarely miscounts (the test above would
    pass), but free-threaded Python would: check that the bucket is only touched locked."""
    limiter = RateLimitingSampler(5, clock=Clock())
    real, held = limiter._lock, []

    class Watched:
        def __enter__(self):
            real.acquire()
            held.append(True)

        def __exit__(self, *exc):
            held.pop()
            real.release()

    limiter._lock = Watched()
    limiter._clock = lambda: (held and 100.0) or pytest.fail("the clock was read unlocked")
    assert roots(limiter, 20) == 5


def test_the_rate_limiter_keeps_whole_traces_in_a_real_tracer():
    clock = Clock()
    made, exporter = provider(RateLimitingSampler(3, clock=clock))
    tracer = made.get_tracer("test")
    for _ in range(20):
        with tracer.start_as_current_span("root"):
            for _ in range(4):
                with tracer.start_as_current_span("child"):
                    pass
    assert len(exporter.get_finished_spans()) == 3 * 5, "3 traces, each with its 5 spans"


# --- samplers in the shop ------------------------------------------------------------------------
def checkouts(shop, count: int) -> None:
    with requests.Session() as client:
        for _ in range(count):
            client.post(f"{shop.url()}/checkout", json={}, timeout=10)


def test_one_sampler_per_service_in_the_shop():
    with Shop(FAST, sampler={"frontend": ALWAYS_ON, "payment": ALWAYS_OFF}) as shop:
        assert shop.sampler_for("payment") is ALWAYS_OFF and shop.sampler_for("checkout") is None
        checkouts(shop, 2)
        services = {record.service for record in ck.records(shop.spans())}
    assert services == {"frontend", "checkout", "inventory"}, "payment dropped its own spans"
    with pytest.raises(ValueError, match="no service"):
        Shop(FAST, sampler={"paymnet": ALWAYS_ON})


def test_different_ratios_without_parent_based_break_traces_and_parent_based_does_not():
    teams = {"frontend": TraceIdRatioBased(0.1), "checkout": TraceIdRatioBased(0.5)}
    with Shop(FAST, sampler=teams) as shop:
        checkouts(shop, 60)
        traces = list(ck.by_trace(shop.spans()).values())
    broken = [t for t in traces if not is_complete(t)]
    assert broken and all(t[0].service == "checkout" for t in broken), "roots went missing"
    settings = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}
    with mock.patch.dict(os.environ, settings), Shop(FAST) as shop:
        checkouts(shop, 60)
        traces = list(ck.by_trace(shop.spans()).values())
    assert 10 < len(traces) < 50
    assert all(is_complete(t) and len(t) == 9 for t in traces)


def test_a_single_sampler_still_applies_to_every_service():
    with Shop(FAST, sampler=ALWAYS_OFF) as shop:
        checkouts(shop, 2)
        assert shop.spans() == ()
