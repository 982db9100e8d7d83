"""scripts/bench_overhead.py runs and reports its structure; its timings are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench_overhead.py"
VARIANTS = ["no_sdk", "always_off", "no_processor", "simple", "batch", "simple_2ms"]


def bench(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, *flags], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_a_tiny_quick_run_reports_every_set_up_as_json():
    result = bench("--quick", "--json", "--spans", "20", "--rounds", "3")
    assert result.returncode == 0, result.stderr
    assert "round 3/3 done" in result.stderr, "progress goes to the terminal, not the JSON"
    report = json.loads(result.stdout)
    assert report["rounds"] == 3 and report["spans"] == 20
    assert {"python", "cpus", "opentelemetry_sdk"} <= set(report["machine"])
    assert [v["key"] for v in report["variants"]] == VARIANTS
    for variant in report["variants"]:
        assert len(variant["rounds_us"]) == len(variant["rounds_cpu_us"]) == 3
        assert all(value > 0 for value in variant["rounds_us"])
        assert variant["p5_us"] <= variant["median_us"] <= variant["p95_us"]
    by_key = {v["key"]: v for v in report["variants"]}
    assert by_key["simple_2ms"]["spans_per_round"] == 1, "the 2 ms exporter times fewer spans"
    assert by_key["no_processor"]["spans_per_round"] == 20
    assert by_key["simple"]["dropped"] == 0, "a Simple processor exports every span"
    assert by_key["no_sdk"]["dropped"] is None, "no exporter, nothing to count"


def test_the_table_names_every_set_up():
    result = bench("--spans", "10", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    for label in ("no-op API (no SDK)", "SDK, AlwaysOff sampler", "SDK, Batch + no-op exporter",
                  "SDK, Simple + 2 ms exporter"):  # fmt: skip
        assert f"| {label} |" in result.stdout


def test_bad_flags_get_one_error_line_and_a_non_zero_exit():
    for flags in (["--spans", "0"], ["--spans", "many"], ["--bogus"]):
        result = bench(*flags)
        assert result.returncode != 0 and not result.stdout
        assert "error:" in result.stderr.strip().splitlines()[-1]
        assert "Traceback" not in result.stderr
