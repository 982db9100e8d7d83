"""The course kit's views: waterfall, service map, span table, log filter, plotly renderer."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from shopping import checkout

import coursekit as ck
from coursekit.plotly_offline import OfflineRenderer
from coursekit.spans import depth_first
from services import start_shop


@pytest.fixture(scope="module")
def rush():
    """Five checkouts, the third fails at payment."""
    with start_shop(payment_timeout_every=3, payment_provider_timeout_s=0.05) as shop:
        codes = [checkout(shop).status_code for _ in range(5)]
        return shop.spans(), {k: list(v) for k, v in shop.logs.items()}, codes


def failing_trace_id(spans):
    return next(t for t, s in ck.by_trace(spans).items() if s[0].is_error)


def test_waterfall_has_one_bar_per_span_and_marks_each_error(rush):
    spans, _, _ = rush
    trace_id = failing_trace_id(spans)
    trace = ck.one_trace(spans, trace_id)
    fig = ck.waterfall(spans, trace_id)
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert sum(len(b.y) for b in bars) == len(trace) == 9
    assert {b.name for b in bars} == {"frontend", "checkout", "inventory", "payment"}
    errors = [t for t in fig.data if t.name == "error"]
    assert len(errors) == 1 and len(errors[0].y) == sum(s.is_error for s in trace) == 6
    labels = fig.layout.yaxis.ticktext
    assert "payment: payment-provider authorize" in labels[-1]
    assert any(label.endswith("POST → payment") for label in labels)


def test_waterfall_needs_a_trace_id_when_there_are_several(rush):
    spans, _, _ = rush
    with pytest.raises(ValueError, match="5 traces"):
        ck.waterfall(spans)
    with pytest.raises(ValueError, match="no trace"):
        ck.waterfall(spans, "0" * 32)


def test_service_calls_counts_calls_and_errors(rush):
    spans, _, codes = rush
    assert codes == [200, 200, 502, 200, 200]
    assert ck.service_calls(spans) == {
        ("checkout", "inventory"): {"calls": 5, "errors": 0},
        ("checkout", "payment"): {"calls": 5, "errors": 1},
        ("frontend", "checkout"): {"calls": 5, "errors": 1},
        ("user", "frontend"): {"calls": 5, "errors": 1},
    }
    fig = ck.service_map(spans)
    assert set(fig.data[0].text) == {"user", "frontend", "checkout", "inventory", "payment"}
    labels = {a.text for a in fig.layout.annotations if a.text}
    assert labels == {"5 calls", "5 calls, 1 errors"}


def test_span_table_is_depth_first_and_highlights_errors(rush):
    spans, _, _ = rush
    trace_id = failing_trace_id(spans)
    table = ck.span_table(spans, trace_id, timings=False)
    assert len(table) == 9
    assert table.rows[0][0] == "POST /checkout" and table.rows[0][4] == "-"
    assert [row[0].strip() for row in table.rows][-1] == "payment-provider authorize"
    assert table._repr_html_().count("background:#fde2e1") == 6
    assert "start ms" not in str(table) and "start ms" in str(ck.span_table(spans, trace_id))


def test_depth_first_treats_orphans_as_roots(rush):
    spans, _, _ = rush
    trace = ck.one_trace(spans, failing_trace_id(spans))
    without_root = [s for s in trace if s.parent_id is not None]
    depths = [d for d, _ in depth_first(without_root)]
    assert depths[0] == 0 and len(depths) == 8


def test_log_filter_returns_exactly_one_requests_lines(rush):
    spans, logs, _ = rush
    trace_id = failing_trace_id(spans)
    lines = ck.lines_for_trace(logs, trace_id)
    expected = sum(trace_id in line for file in logs.values() for line in file)
    assert len(lines) == expected == 6
    # Lines logged in the same millisecond have no order between them: compare as a set.
    assert sorted(row[1] for row in lines.rows) == sorted(
        ["frontend", "checkout", "inventory", "payment", "checkout", "frontend"]
    )
    assert lines.rows[0][1] == "frontend" and "clicked Buy Now" in lines.rows[0][2]
    assert len(ck.log_table(logs)) == 5 * 6
    times = [row[0] for row in ck.log_table(logs).rows]
    assert times == sorted(times)


def test_offline_renderer_needs_no_network_and_is_stable():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    bundle = OfflineRenderer().to_mimebundle(fig.to_dict())
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html"}
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html
    assert "https://" not in html and "cdn" not in html.lower() and "MathJax" not in html
    assert len(html) < 20_000, "plotly.js must not be embedded in every figure"
    assert OfflineRenderer().to_mimebundle(fig.to_dict())["text/html"] == html
    other = OfflineRenderer().to_mimebundle(go.Figure(go.Bar(x=[1])).to_dict())["text/html"]
    assert other.split('id="')[1][:16] != html.split('id="')[1][:16]


def test_trace_table_has_one_row_per_trace(rush):
    spans, _, _ = rush
    table = ck.trace_table(spans)
    assert len(table) == 5
    assert all(row[1] == 9 for row in table.rows)
    assert sum(row[4] == "ERROR" for row in table.rows) == 1
    assert table.rows[0][3] == "frontend: POST /checkout"
