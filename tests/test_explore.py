"""The trace explorer over the store, and the critical path it marks."""

from __future__ import annotations

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import coursekit as ck
from coursekit.explore import Explorer, Segment, critical_path, critical_waterfall
from coursekit.spans import SpanRecord
from services.backend.receiver import start_receiver
from services.common.telemetry import make_tracer_provider
from services.run.in_process import Shop
from services.shop.config import ShopConfig

MS = 1_000_000


def span(span_id: str, parent: str | None, start: float, end: float) -> SpanRecord:
    return SpanRecord("t" * 32, span_id, parent, span_id, "svc", "internal",
                      int(start * MS), int(end * MS), "UNSET")  # fmt: skip


def path(records) -> list[tuple[str, float, float]]:
    return [(s.span_id, s.start_ns / MS, s.end_ns / MS) for s in critical_path(records)]


def test_sequential_children_are_all_on_the_path_with_the_parents_gaps():
    trace = [span("root", None, 0, 100), span("a", "root", 10, 40), span("b", "root", 50, 90)]
    assert path(trace) == [("root", 0, 10), ("a", 10, 40), ("root", 40, 50), ("b", 50, 90),
                           ("root", 90, 100)]  # fmt: skip


def test_of_parallel_children_the_one_that_ends_last_decides():
    trace = [span("root", None, 0, 100), span("fast", "root", 10, 30),
             span("slow", "root", 10, 80)]  # fmt: skip
    assert path(trace) == [("root", 0, 10), ("slow", 10, 80), ("root", 80, 100)]


def test_an_overlapping_earlier_child_takes_over_where_the_later_one_started():
    trace = [span("root", None, 0, 100), span("a", "root", 0, 60), span("b", "root", 40, 100)]
    assert path(trace) == [("a", 0, 40), ("b", 40, 100)]


def test_nested_spans_and_a_child_that_outlives_its_parent():
    trace = [span("root", None, 0, 100), span("mid", "root", 20, 90),
             span("leaf", "mid", 30, 120), span("stray", "other", 0, 500)]  # fmt: skip
    segments = critical_path(trace)
    assert path(trace)[:2] == [("stray", 0, 500)] or path(trace) == [
        ("root", 0, 20), ("mid", 20, 30), ("leaf", 30, 90), ("root", 90, 100)]  # fmt: skip
    assert sum(s.end_ns - s.start_ns for s in segments) == max(
        r.end_ns - r.start_ns for r in trace if r.parent_id not in {x.span_id for x in trace}
    )


def test_the_path_covers_the_root_exactly_once():
    trace = [span("root", None, 0, 100), span("mid", "root", 20, 90),
             span("leaf", "mid", 30, 120)]  # fmt: skip
    assert path(trace) == [("root", 0, 20), ("mid", 20, 30), ("leaf", 30, 90),
                           ("root", 90, 100)]  # fmt: skip
    assert critical_path([]) == []
    assert critical_path([span("only", None, 0, 5)]) == [Segment("only", 0, 5 * MS)]


@pytest.fixture(scope="module")
def receiver():
    """Six checkouts through the real shop, every third one with a payment timeout."""
    running = start_receiver()

    def provider(service):
        exporter = OTLPSpanExporter(endpoint=running.endpoint)
        return make_tracer_provider(service, exporter, processor_factory=SimpleSpanProcessor)

    shop = Shop(ShopConfig(payment_timeout_every=3), provider_factory=provider)
    with shop:
        for _ in range(6):
            requests.post(f"{shop.url()}/checkout", json={}, timeout=30)
    yield running
    running.stop()


def test_the_explorer_searches_by_service_name_status_and_duration(receiver):
    explorer = ck.explore(receiver)
    everything = explorer.search()
    assert len(everything) == 6
    errors = explorer.search(status="ERROR")
    assert 1 <= len(errors) < 6 and all(t.errors for t in errors)
    assert len(explorer.search(service="payment")) == 6
    assert explorer.search(service="nobody") == []
    slowest = max(t.duration_ms for t in everything)
    assert explorer.search(min_duration_ms=slowest * 10) == []
    assert len(explorer.search(minutes=60)) == 6
    name = receiver.records()[0].name
    assert explorer.search(name=name)


def test_the_critical_path_of_a_real_checkout_spans_the_whole_trace(receiver):
    trace_id = ck.explore(receiver).search()[0].trace_id
    records = receiver.db.records(trace_id=trace_id)
    segments = critical_path(records)
    root = next(r for r in records if r.parent_id is None)
    assert segments[0].start_ns == root.start_ns and segments[-1].end_ns == root.end_ns
    assert all(a.end_ns == b.start_ns for a, b in zip(segments, segments[1:], strict=False))
    fig = critical_waterfall(records, trace_id)
    assert fig.data[-1].name == "critical path" and len(fig.data[-1].y) == len(segments)


def test_the_static_form_lists_the_matches_and_draws_the_first_trace(receiver):
    explorer = ck.explore(receiver)
    bundle = explorer._repr_mimebundle_()
    page = bundle["text/html"]
    assert page.count("<tr><td>") == 6 and "6 traces" in page
    assert explorer.search()[0].trace_id[:16] in page
    assert "critical path" in page and "Plotly.newPlot" in page


def test_the_widget_shows_one_trace_or_compares_two(receiver):
    explorer = Explorer(receiver)
    form = explorer.widget()
    _, summary, found, shown = form.children
    assert "6 traces" in summary.value
    first, second = found.options[0][1], found.options[1][1]
    found.value = (first,)
    assert explorer.showing == (first,)
    [one] = shown.children
    assert "application/vnd.plotly.v1+json" in one.outputs[0]["data"]
    found.value = (first, second)
    assert explorer.showing == (first, second)
    [side_by_side] = shown.children
    assert [len(side.outputs) for side in side_by_side.children] == [1, 1]
    service = form.children[0].children[0].children[0]
    service.value = "payment"
    form.children[0].children[1].children[2].click()
    assert len(found.options) == 6


def test_explore_refuses_what_is_not_a_store(tmp_path):
    with pytest.raises(TypeError, match="explore"):
        ck.explore([1, 2])
    with pytest.raises(ValueError, match="no span store"):
        ck.explore(tmp_path / "missing.db")
