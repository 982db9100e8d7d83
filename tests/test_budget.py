"""The budget arithmetic, its figure and calculator; and the sampled-run summaries."""

from __future__ import annotations

import pytest

from coursekit import budget, sampling
from coursekit.spans import SpanRecord

SEED = budget.Workload()  # 100K requests/s, 9 spans, 500 bytes, $0.30 per GB


def test_the_seeds_100k_requests_per_second_sized_by_hand():
    assert budget.spans_per_second(SEED) == 900_000
    # 900,000 spans/s x 500 bytes x 86,400 s = 38,880 GB per day
    assert budget.gb_per_day(SEED) == pytest.approx(38_880)
    assert budget.cost_per_month(SEED) == pytest.approx(38_880 * 30 * 0.30)
    assert budget.cost_per_month(SEED, 0.01) == pytest.approx(budget.cost_per_month(SEED) / 100)


def test_every_input_scales_the_cost_linearly():
    base = budget.cost_per_month(SEED, 0.1)
    for field, factor in [("requests_per_second", 2), ("spans_per_request", 3),
                          ("bytes_per_span", 4), ("price_per_gb", 5)]:  # fmt: skip
        changed = SEED.replace(**{field: getattr(SEED, field) * factor})
        assert budget.cost_per_month(changed, 0.1) == pytest.approx(base * factor), field


def test_an_estimate_separates_the_network_from_storage():
    layered = budget.estimate(SEED, sent=0.1, stored=0.02)
    assert layered.spans_per_second == pytest.approx(90_000)
    assert layered.network_gb_per_day == pytest.approx(3_888)
    assert layered.stored_gb_per_day == pytest.approx(777.6)
    assert layered.cost_per_month == pytest.approx(budget.cost_per_month(SEED, 0.02))
    head_only = budget.estimate(SEED, 0.01)
    assert head_only.stored_gb_per_day == head_only.network_gb_per_day


@pytest.mark.parametrize(
    ("rate", "text"),
    [(1, "100%"), (0.25, "25%"), (0.01, "1%"), (0.005, "0.5%"), (0.001, "0.1%"), (0, "0%")],
)
def test_rates_read_as_percentages(rate, text):
    assert budget.percent(rate) == text


def test_the_table_has_one_row_per_rate():
    table = budget.estimate_table(SEED)
    assert [row[0] for row in table.rows] == ["100%", "10%", "1%", "0.1%"]
    assert table.rows[0][1:] == ["900,000", "38.9 TB", "$349,920"]
    assert table.rows[-1][2] == "38.9 GB"


def test_the_cost_figure_is_a_falling_curve_with_the_tables_rates_marked():
    fig = budget.cost_figure(SEED)
    curve, marks = fig.data
    assert list(curve.y) == sorted(curve.y), "cost grows with the share kept"
    assert list(marks.x) == [100, 10, 1, 0.1]
    assert fig.layout.xaxis.type == "log" and "100,000 requests/s" in fig.layout.title.text


def test_the_calculator_is_a_figure_and_a_table_without_a_kernel():
    bundle = budget.calculator()._repr_mimebundle_()
    page = bundle["text/html"]
    assert "plotly-graph-div" in page and "<table" in page and "$3,499" in page
    assert "100%" in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_calculator_sliders_update_the_numbers():
    box = budget.calculator().widget()
    *sliders, rate, out = box.children
    assert "$3,499" in out.value, "1% of the seed's traffic"
    rate.value = 10.0
    assert "$34,992" in out.value
    sliders[0].value = 10_000  # requests per second
    assert "$3,499" in out.value


def record(trace_id, span_id, parent=None, status="UNSET"):
    return SpanRecord(trace_id, span_id, parent, "s", "frontend", "server", 0, 1, status)


def test_runs_count_kept_error_and_broken_traces():
    spans = [
        record("a", "1"), record("a", "2", "1"),  # complete
        record("b", "3"), record("b", "4", "3", "ERROR"),  # complete, an error
        record("c", "5", "9"),  # its parent was never exported
    ]  # fmt: skip
    run = sampling.summarize("x", spans, checkouts=10, failed=1, seconds=2.0)
    assert (run.traces, run.error_traces, run.complete_traces, run.broken_traces) == (3, 1, 2, 1)
    assert run.spans == run.sent_spans == 5 and run.spans_per_second == 2.5
    stored = sampling.stored_after(run, spans[:2], "tail")
    assert (stored.name, stored.spans, stored.sent_spans, stored.failed) == ("tail", 2, 5, 1)


def test_the_comparison_chart_has_a_bar_per_run_in_each_column():
    runs = [sampling.summarize(n, [record(n, "1")], checkouts=1, failed=0, seconds=1) for n in "ab"]
    fig = sampling.comparison_chart(runs)
    assert len(fig.data) == 3 and all(list(bar.x) == ["a", "b"] for bar in fig.data)
    layers = sampling.comparison_chart(runs, sampling.LAYER_METRICS)
    assert [a.text for a in layers.layout.annotations][1] == "spans stored"
    assert sampling.runs_table(runs).rows[0] == ["a", "1", "1", "0 of 0"]
