"""Measure what one span costs, the way the OpenTelemetry Python SDK's own benchmarks do.

    python scripts/bench_overhead.py [--quick] [--rounds R] [--spans N] [--json]

The span is the one of ``opentelemetry-sdk/benchmarks/trace/test_benchmark_trace.py``:
``start_as_current_span`` with one attribute, one event, then its end. Six set-ups:

- the API with no SDK (what instrumented code costs where no SDK is installed);
- the SDK with the AlwaysOff sampler (the span is not recorded);
- the SDK with no span processor (recorded, then dropped);
- the SDK with a Simple or a Batch span processor in front of an exporter that does nothing;
- the SDK with a Simple span processor in front of an exporter that takes 2 ms.

The set-ups take turns, round after round, in a shuffled order (seeded), so a change in
the machine's load falls on all of them alike. Each turn times N spans in a row with
``time.perf_counter_ns`` on the calling thread (the 2 ms exporter gets N/50, at least 1:
it costs milliseconds a span). The table gives, per set-up, the median over the rounds of
the microseconds per span, and the 5th to 95th percentile over the rounds. The Batch
processor exports on its own thread: its turn ends with a flush outside the timing, and
the spans its full queue dropped are counted. Garbage collection stays on, as in a service.

Timings depend on the machine and its load: they are printed, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from coursekit.quiet import quiet_logger

# At most `rounds` rounds; no new round starts once `seconds` have passed (a loaded
# machine gets fewer rounds, and the run stays short).
FULL = {"rounds": 60, "spans": 5000, "seconds": 55.0}
QUICK = {"rounds": 20, "spans": 2000, "seconds": 9.0}
SLOW_EXPORT_SECONDS = 0.002
SLOW_SHARE = 50  # the 2 ms exporter times spans // 50 spans a turn


class CountingExporter(SpanExporter):
    """Does nothing with the spans (or waits ``delay`` seconds), counts them."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.exported = 0

    def export(self, spans) -> SpanExportResult:
        if self.delay:
            time.sleep(self.delay)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS


@dataclass
class Variant:
    key: str
    label: str
    tracer: trace.Tracer
    provider: TracerProvider | None = None
    exporter: CountingExporter | None = None
    share: int = 1  # a turn times spans // share spans
    rounds_us: list[float] = field(default_factory=list)
    rounds_cpu_us: list[float] = field(default_factory=list)
    timed_spans: int = 0

    def spans_per_turn(self, spans: int) -> int:
        return max(1, spans // self.share)


def sdk(sampler=None, processor=None, exporter=None, **kw) -> dict:
    # The SDK benchmark's resource: a service name, version and instance id.
    resource = Resource(
        {
            "service.name": "A123456789",
            "service.version": "1.34567890",
            "service.instance.id": "123ab456-a123-12ab-12ab-12340a1abc12",
        }
    )
    provider = TracerProvider(resource=resource, **({"sampler": sampler} if sampler else {}))
    if processor is not None:
        provider.add_span_processor(processor(exporter))
    tracer = provider.get_tracer("sdk_tracer_provider")
    return {"tracer": tracer, "provider": provider, "exporter": exporter, **kw}


def variants() -> list[Variant]:
    # No global provider is ever set here: trace.get_tracer gives the API's proxy tracer,
    # which hands out non-recording spans, as in a process where no SDK is installed.
    no_sdk = trace.get_tracer("sdk_tracer_provider")
    return [
        Variant("no_sdk", "no-op API (no SDK)", no_sdk),
        Variant("always_off", "SDK, AlwaysOff sampler", **sdk(sampler=ALWAYS_OFF)),
        Variant("no_processor", "SDK, no processor", **sdk()),
        Variant("simple", "SDK, Simple + no-op exporter",
                **sdk(processor=SimpleSpanProcessor, exporter=CountingExporter())),
        Variant("batch", "SDK, Batch + no-op exporter",
                **sdk(processor=BatchSpanProcessor, exporter=CountingExporter())),
        Variant("simple_2ms", "SDK, Simple + 2 ms exporter", share=SLOW_SHARE,
                **sdk(processor=SimpleSpanProcessor,
                      exporter=CountingExporter(SLOW_EXPORT_SECONDS))),
    ]  # fmt: skip


def time_spans(tracer: trace.Tracer, count: int) -> tuple[int, int]:
    """Elapsed and CPU nanoseconds for ``count`` spans as in the SDK's benchmark."""
    cpu, started = time.process_time_ns(), time.perf_counter_ns()
    for _ in range(count):
        with tracer.start_as_current_span(
            "benchmarkedSpan", attributes={"long.attribute": -10000000001000000000}
        ) as span:
            span.add_event("benchmarkEvent")
    return time.perf_counter_ns() - started, time.process_time_ns() - cpu


def turn(variant: Variant, spans: int) -> None:
    """One timed turn: adds its microseconds per span (elapsed and CPU) to the variant."""
    count = variant.spans_per_turn(spans)
    elapsed, cpu = time_spans(variant.tracer, count)
    if variant.provider is not None:
        variant.provider.force_flush()  # the Batch processor's backlog, outside the timing
    variant.timed_spans += count
    variant.rounds_us.append(elapsed / count / 1000)
    variant.rounds_cpu_us.append(cpu / count / 1000)


class Progress:
    """One line on stderr, rewritten in place on a terminal, every few rounds otherwise."""

    def __init__(self, rounds: int, seconds: float, quiet: bool = False) -> None:
        self.rounds, self.seconds, self.tty = rounds, seconds, sys.stderr.isatty()
        self.quiet = quiet
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def show(self, done: int, last: bool = False) -> None:
        if self.quiet:  # a caller that reports progress itself (the lesson)
            return
        elapsed = self.elapsed()
        left = elapsed / done * (self.rounds - done) if done else self.seconds
        left = 0 if last else min(left, max(0.0, self.seconds - elapsed))
        line = f"round {done}/{self.rounds} done, {elapsed:.0f} s, at most {left:.0f} s left"
        if self.tty:
            print(f"\r{line}   ", end="\n" if last else "", file=sys.stderr)
        elif (done % 5 == 0) != last:  # every 5th round, and the last if not just shown
            print(line, file=sys.stderr)
        sys.stderr.flush()


def measure(
    rounds: int, spans: int, seconds: float, seed: int, progress: bool = True
) -> list[Variant]:
    # A full Batch queue logs a warning per drop burst; the drops are counted instead.
    # The level is put back afterwards: a lesson's kernel runs this too.
    with quiet_logger("opentelemetry.sdk._shared_internal"):
        measured = variants()
        try:
            for variant in measured:  # warm-up: imports, caches, the Batch worker thread
                turn(variant, min(spans, 200))
                variant.rounds_us.clear(), variant.rounds_cpu_us.clear()
                variant.timed_spans = 0
                if variant.exporter is not None:
                    variant.exporter.exported = 0
            order = random.Random(seed)
            progress = Progress(rounds, seconds, quiet=not progress)
            progress.show(0)
            done = 0
            while done < rounds and (done == 0 or progress.elapsed() < seconds):
                for variant in order.sample(measured, len(measured)):
                    turn(variant, spans)
                done += 1
                progress.show(done)
            progress.show(done, last=True)
        finally:  # the Batch worker threads end here, even after an error or a Ctrl-C
            for variant in measured:
                if variant.provider is not None:
                    variant.provider.shutdown()
    return measured


def p5_p95(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return cuts[0], cuts[-1]


def summary(variant: Variant, spans: int) -> dict:
    exported = variant.exporter.exported if variant.exporter else None
    p5, p95 = p5_p95(variant.rounds_us)
    return {
        "key": variant.key,
        "label": variant.label,
        "spans_per_round": variant.spans_per_turn(spans),
        "median_us": round(statistics.median(variant.rounds_us), 3),
        "p5_us": round(p5, 3),
        "p95_us": round(p95, 3),
        "cpu_median_us": round(statistics.median(variant.rounds_cpu_us), 3),
        "rounds_us": [round(value, 3) for value in variant.rounds_us],
        "rounds_cpu_us": [round(value, 3) for value in variant.rounds_cpu_us],
        "dropped": None if exported is None else variant.timed_spans - exported,
    }


def table(results: list[dict], rounds: int) -> str:
    lines = [
        f"Microseconds per span: the median of {rounds} rounds, the 5th-95th percentile of",
        "the rounds, and the CPU time of the whole process (all threads) per span.",
        "",
        "| set-up | µs per span | p5-p95 | CPU µs per span | spans per round |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        dropped = f" ({r['dropped']} dropped)" if r["dropped"] else ""
        lines.append(
            f"| {r['label']} | {r['median_us']:.1f} | {r['p5_us']:.1f}-{r['p95_us']:.1f} "
            f"| {r['cpu_median_us']:.1f} | {r['spans_per_round']}{dropped} |"
        )
    return "\n".join(lines)


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "opentelemetry_sdk": version("opentelemetry-sdk"),
    }


def positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is less than 1")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run of about 10 s")
    parser.add_argument(
        "--rounds", type=positive, help=f"at most this many rounds (default {FULL['rounds']})"
    )
    parser.add_argument(
        "--seconds",
        type=positive,
        help=f"start no round after this (default {FULL['seconds']:.0f})",
    )
    parser.add_argument("--spans", type=positive, help=f"spans a turn (default {FULL['spans']})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the turns' order")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    rounds = args.rounds or preset["rounds"]
    spans = args.spans or preset["spans"]
    seconds = args.seconds or preset["seconds"]

    started = time.monotonic()
    measured = measure(rounds, spans, seconds, args.seed)
    took = time.monotonic() - started
    results = [summary(variant, spans) for variant in measured]
    done = len(measured[0].rounds_us)
    if args.json:
        document = {"rounds": done, "spans": spans, "seed": args.seed, "seconds": round(took, 1)}
        document.update(machine=machine(), variants=results)
        print(json.dumps(document, indent=2))
    else:
        print(table(results, done))
        about = machine()
        print(f"\n{about['cpus']} CPUs, {about['machine']}, Python {about['python']}, "
              f"opentelemetry-sdk {about['opentelemetry_sdk']}; {took:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
