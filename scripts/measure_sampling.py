"""Measure the samplers of lesson 05 on real SDK spans: what they keep, and what they cost.

    python scripts/measure_sampling.py [--traces 20000] [--seeds 10] [--rounds 5]

1. What each sampler keeps: traces shaped like the shop's checkout (a root and 8 nested
   children), from seeded ids, through a real TracerProvider and an in-memory exporter.
   For each ratio sampler: the share of traces kept over all seeds, its spread from seed
   to seed (standard deviation), the spread the binomial law predicts, and whether every
   kept trace is whole. The rate limiter is run against the real clock and reports
   traces per second.
2. What each sampler costs per span, against AlwaysOn, in one run: the samplers take
   turns, round after round, and the median of the rounds is reported (time to start and
   end a span, including recording and exporting the spans that are kept).

Timings depend on the machine and its load: they are printed, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.common.telemetry import SeededIdGenerator  # noqa: E402
from services.labs.samplers import RateLimitingSampler  # noqa: E402

SPANS_PER_TRACE = 9


def send(tracer, traces: int) -> None:
    """`traces` checkouts: a root span with 8 nested children each."""
    for _ in range(traces):
        with tracer.start_as_current_span("POST /checkout"):
            for n in range(SPANS_PER_TRACE - 1):
                with tracer.start_as_current_span(f"step {n}"):
                    pass


def run(sampler, traces: int, seed: int):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler, id_generator=SeededIdGenerator(seed))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    started = time.perf_counter()
    send(provider.get_tracer("measure"), traces)
    seconds = time.perf_counter() - started
    spans = exporter.get_finished_spans()
    provider.shutdown()
    return spans, seconds


def whole(spans) -> bool:
    sizes: dict[int, int] = {}
    for span in spans:
        sizes[span.context.trace_id] = sizes.get(span.context.trace_id, 0) + 1
    return all(size == SPANS_PER_TRACE for size in sizes.values())


def effect(traces: int, seeds: int) -> None:
    per_seed = max(1, traces // seeds)
    print(f"## What each sampler keeps ({per_seed:,} traces x {seeds} seeds = "
          f"{per_seed * seeds:,} traces of {SPANS_PER_TRACE} spans)\n")  # fmt: skip
    print(f"| sampler | kept, all seeds | spread between seeds ({per_seed:,} traces each) "
          "| binomial spread | traces whole |")  # fmt: skip
    print("|---|---|---|---|---|")
    for ratio in (0.5, 0.1, 0.01):
        pair = {
            f"TraceIdRatioBased({ratio})": TraceIdRatioBased(ratio),
            f"ParentBased(ratio {ratio})": ParentBased(TraceIdRatioBased(ratio)),
        }
        for name, sampler in pair.items():
            shares, all_whole = [], True
            for seed in range(seeds):
                spans, _ = run(sampler, per_seed, seed)
                shares.append(len(spans) / SPANS_PER_TRACE / per_seed)
                all_whole &= whole(spans)
            spread = statistics.stdev(shares) if len(shares) > 1 else 0.0
            expected = (ratio * (1 - ratio) / per_seed) ** 0.5
            print(f"| {name} | {statistics.mean(shares):.2%} | ± {spread:.2%} | ± {expected:.2%} "
                  f"| {'yes' if all_whole else 'no'} |")  # fmt: skip
    limiter = RateLimitingSampler(100)
    spans, seconds = run(limiter, traces, 0)
    kept = len(spans) / SPANS_PER_TRACE
    after_burst = (kept - limiter.burst) / seconds
    print(f"| {limiter.get_description()} | {kept:,.0f} traces in {seconds:.2f} s: its burst of "
          f"{limiter.burst:.0f}, then {after_burst:,.1f} per second | | | "
          f"{'yes' if whole(spans) else 'no'} |\n")  # fmt: skip


def cost(traces: int, rounds: int) -> None:
    samplers = {
        "AlwaysOn": ALWAYS_ON,
        "TraceIdRatioBased(0.1)": TraceIdRatioBased(0.1),
        "ParentBased(TraceIdRatioBased(0.1))": ParentBased(TraceIdRatioBased(0.1)),
        "RateLimiting{100.0}": RateLimitingSampler(100),
        "ParentBased(RateLimiting{100.0})": ParentBased(RateLimitingSampler(100)),
    }
    times: dict[str, list[float]] = {name: [] for name in samplers}
    for _ in range(rounds):  # take turns, so a slow moment of the machine hits all alike
        for name, sampler in samplers.items():
            _, seconds = run(sampler, traces, 1)
            times[name].append(seconds / (traces * SPANS_PER_TRACE) * 1e6)
    base = statistics.median(times["AlwaysOn"])
    print(f"## Cost per span against AlwaysOn (median of {rounds} rounds of "
          f"{traces * SPANS_PER_TRACE:,} spans each)\n")  # fmt: skip
    print("| sampler | µs per span | against AlwaysOn |")
    print("|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} (range {min(values):.2f}-{max(values):.2f}) | "
              f"{median / base:.0%} |")  # fmt: skip
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    effect(args.traces, args.seeds)
    cost(max(1, args.traces // 10), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
