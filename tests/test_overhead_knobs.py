"""Lesson 06's knobs, by their mechanism, never by their timing: where export runs and
how many exports a checkout makes, what a Batch burst keeps and drops, what the exporter
does with refusals, what the account page's decisions, its baggage switch and the route
sampler make. Deterministic: counts and thread names, not milliseconds."""

from __future__ import annotations

import requests
from opentelemetry import baggage
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased

from coursekit import latency, span_cost, span_loss
from services import Receiver, Shop, ShopConfig, exporting_to
from services.labs.account_page import STEP_COUNTS, AccountPage, steps_catalogue
from services.labs.route_sampler import RouteSampler

QUICK = ShopConfig(base_latency_ms=0)


def checkouts(shop, n):
    for _ in range(n):
        assert requests.post(shop.url() + "/checkout", json={}, timeout=30).ok


def test_simple_exports_each_span_on_the_request_thread_batch_on_its_worker():
    simple, batch = [], []
    with Receiver() as receiver:
        factory = latency.timed(SimpleSpanProcessor, simple)
        provider = exporting_to(receiver.endpoint, processor_factory=factory)
        with Shop(QUICK, provider_factory=provider) as shop:
            checkouts(shop, 2)
        assert receiver.store.requests == 18, "one export request per span, 9 per checkout"
        assert {latency.thread_kind(c.thread) for c in simple} == {"a request thread"}
        assert all(c.spans == 1 for c in simple)

        before = receiver.store.requests
        factory = latency.timed(BatchSpanProcessor, batch, schedule_delay_millis=100)
        provider = exporting_to(receiver.endpoint, processor_factory=factory)
        with Shop(QUICK, provider_factory=provider) as shop:
            checkouts(shop, 2)
            assert latency.wait_for(lambda: sum(c.spans for c in batch) == 18)
        assert {latency.thread_kind(c.thread) for c in batch} == {"the Batch worker"}
        assert receiver.store.requests - before <= 8, "a few batches, not one request a span"
        assert len(receiver.records()) == 36


def test_sampled_off_shops_export_nothing_and_ratio_keeps_whole_traces():
    with Receiver() as receiver:
        for sampler, most in ((ALWAYS_OFF, 0), (ParentBased(TraceIdRatioBased(0.1)), 20)):
            receiver.clear()
            provider = exporting_to(receiver.endpoint, sampler=sampler)
            with Shop(QUICK, provider_factory=provider) as shop:
                checkouts(shop, 20)
            spans = receiver.records()
            assert len(spans) % 9 == 0 and len(spans) <= most * 9


def test_a_burst_over_the_queue_drops_the_oldest_and_the_sdk_counts_them():
    burst = span_loss.burst(1000, max_queue_size=256, max_export_batch_size=64)
    assert (burst.exported, burst.dropped_metric) == (256, 744)
    assert burst.ranges() == "744-999", "the newest spans survive (SDK 1.45's deque)"
    roomy = span_loss.burst(1000, max_queue_size=2048, max_export_batch_size=64)
    assert (roomy.exported, roomy.dropped_metric) == (1000, 0)


def test_refusals_are_retried_then_given_up_and_a_timeout_counts_as_failed():
    with Receiver() as receiver:
        receiver.refuse(3, retry_after_s=0)
        retried = span_loss.export_to(receiver, spans=2)
        assert (retried.stored, retried.refused) == (2, 3)
        receiver.refuse(100, retry_after_s=0)
        refused = span_loss.export_to(receiver, spans=2)
        assert (refused.stored, refused.refused) == (0, 12), "6 attempts per export"
        receiver.refuse(1, retry_after_s=5)
        too_late = span_loss.export_to(receiver, spans=1, timeout=0.5)
        assert (too_late.stored, too_late.refused) == (0, 1), "no wait beyond the timeout"
        receiver.refuse(0)
        receiver.answer_delay_ms = 1000
        late = span_loss.export_to(receiver, spans=1, timeout=0.1)
        assert any("Failed to export" in line for line in late.log)


def test_the_account_page_makes_50_spans_and_its_decisions_cut_them():
    assert sum(STEP_COUNTS.values()) == 50
    assert sum(step.per_request for step in steps_catalogue()) == 50
    lab = AccountPage(query_ms=0, item_query_ms=0, call_ms=0, render_ms=0, slow_query_ms=0)
    assert len(span_cost.run(None, range(1, 3), lab=lab)) == 100
    counted = {name: "count" for name, n in STEP_COUNTS.items() if n > 1}
    spans = span_cost.run(counted, range(1, 2), lab=lab)
    assert len(spans) == 50 - 42  # five loops (3, 10, 10, 10 and 9 iterations) counted
    root = next(s for s in spans if s.parent is None)
    assert root.attributes["i18n.translate.count"] == 9
    assert root.attributes["feature_flag.evaluate.count"] == 3
    detail = baggage.set_baggage("app.trace.detail", "full")
    assert len(span_cost.run(counted, range(1, 2), lab=lab, context=detail)) == 50


def test_the_failing_call_as_an_event_names_the_peer_and_the_error():
    lab = AccountPage(query_ms=0, item_query_ms=0, call_ms=0, render_ms=0, failing_call_every=1)
    spans = span_cost.run({"GET /recommendations": "event"}, range(1, 2), lab=lab)
    root = next(s for s in spans if s.parent is None)
    (event,) = [e for e in root.events if e.name == "GET /recommendations"]
    assert event.attributes["service.peer.name"] == "recommendations"
    assert event.attributes["error.type"] == "503"


def test_the_overhead_measurement_sees_the_spans_it_measured():
    nothing = dict.fromkeys(STEP_COUNTS, "drop")
    measured = span_cost.measure({"all": None, "none": nothing}, rounds=2, requests=3)
    assert measured.spans_per_request("all") == 50
    assert measured.spans_per_request("none") == 0
    assert len(measured.off.cpu_ms) == 2


def test_the_route_sampler_keeps_checkout_and_drops_health_and_static():
    with Shop(QUICK, sampler=RouteSampler(ParentBased(ALWAYS_OFF))) as shop:
        for path in ("/health", "/static/x.css", "/anything"):
            requests.get(shop.url() + path, timeout=10)
        checkouts(shop, 2)
        spans = shop.spans()
    roots = {s.name for s in spans if s.parent is None}
    assert roots == {"POST /checkout"} and len(spans) == 18


def test_percentiles_and_their_bootstrap_are_nearest_rank_and_seeded():
    values = list(range(1, 101))
    assert latency.percentile(values, 99) == 99 and latency.percentile(values, 50) == 50
    assert latency.percentile(values[:32], 99) == 32, "with 32 requests the p99 is the max"
    assert latency.bootstrap(values) == latency.bootstrap(values)
    low, high = latency.bootstrap(values)
    assert low <= 99 <= high
