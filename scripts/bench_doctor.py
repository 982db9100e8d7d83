"""Measure the trace doctor on 100,000 spans: the rules alone, and the whole command.

    python scripts/bench_doctor.py [--spans 100000] [--runs 3]

The traces are shaped like the shop's checkout (a frontend server span and client call,
checkout, inventory with an internal span, payment with a call to an outside provider:
9 spans a trace) with the attributes current instrumentations set (stable HTTP names),
unique ids and paths, an error every 20th trace, and a few planted anti-patterns so that
every rule has work to do. They are written as OTLP/JSON Lines, 1,000 spans a line, as the
Collector's file exporter batches them.

1. rules: ``coursekit.doctor.check`` on spans already in memory;
2. command: ``python -m coursekit.doctor FILE --json`` as a process (Python's start-up,
   reading, decoding with protobuf's ``json_format``, the rules, the JSON output).

Timings depend on the machine and its load: the median and range of the runs are printed,
never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursekit.doctor import check  # noqa: E402
from coursekit.doctor.load import spans_from  # noqa: E402

SERVICES = ("frontend", "checkout", "inventory", "payment")
PORTS = {"frontend": 8080, "checkout": 8081, "inventory": 8082, "payment": 8083}


def _value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": v}


def _kv(attributes: dict) -> list:
    return [{"key": k, "value": _value(v)} for k, v in attributes.items()]


def _server(route, path, service, status):
    return {
        "http.request.method": "POST",
        "url.scheme": "http",
        "url.path": path,
        "http.route": route,
        "server.address": service,
        "server.port": PORTS[service],
        "network.protocol.version": "1.1",
        "client.address": "10.0.0.7",
        "user_agent.original": "python-requests/2.34.2",
        "http.response.status_code": status,
    }


def _client(target, path, status):
    return {
        "http.request.method": "POST",
        "url.full": f"http://{target}:{PORTS[target]}{path}",
        "server.address": target,
        "server.port": PORTS[target],
        "network.protocol.version": "1.1",
        "http.response.status_code": status,
    }


def make_traces(n_spans: int, rng: random.Random) -> dict[str, list]:
    """service -> OTLP/JSON spans, about ``n_spans`` in all."""
    out: dict[str, list] = {s: [] for s in SERVICES}
    t0 = 1_732_960_800_000_000_000
    n_traces = n_spans // 9
    for n in range(n_traces):
        trace_id = f"{rng.getrandbits(128):032x}"
        ids = [f"{rng.getrandbits(64):016x}" for _ in range(9)]
        start = t0 + n * 3_000_000
        status = 500 if n % 20 == 0 else 200
        order = f"/orders/{100000 + n}"

        def span(
            service,
            i,
            parent,
            name,
            kind,
            offset,
            dur,
            attrs,
            start=start,
            ids=ids,
            trace_id=trace_id,
            status=status,
        ):
            out[service].append(
                {
                    "traceId": trace_id,
                    "spanId": ids[i],
                    "parentSpanId": ids[parent] if parent is not None else "",
                    "name": name,
                    "kind": kind,
                    "startTimeUnixNano": str(start + offset * 1000),
                    "endTimeUnixNano": str(start + (offset + dur) * 1000),
                    "attributes": _kv(attrs),
                    "status": {"code": 2} if status == 500 and kind == 2 else {},
                }
            )

        span(
            "frontend",
            0,
            None,
            "POST /checkout",
            2,
            0,
            2000,
            _server("/checkout", "/checkout", "frontend", status),
        )
        span("frontend", 1, 0, "POST", 3, 50, 1900, _client("checkout", order, status))
        span(
            "checkout",
            2,
            1,
            "POST /orders/{id}",
            2,
            80,
            1800,
            _server("/orders/{id}", order, "checkout", status),
        )
        span("checkout", 3, 2, "POST", 3, 100, 500, _client("inventory", "/reserve", 200))
        span(
            "inventory",
            4,
            3,
            "POST /reserve",
            2,
            120,
            450,
            _server("/reserve", "/reserve", "inventory", 200),
        )
        span(
            "inventory",
            5,
            4,
            "lookup stock",
            1,
            150,
            300,
            {"app.item": f"sku-{n % 50}", "app.quantity": 1 + n % 3},
        )
        span("checkout", 6, 2, "POST", 3, 700, 1000, _client("payment", "/charge", status))
        span(
            "payment",
            7,
            6,
            "POST /charge",
            2,
            720,
            950,
            _server("/charge", "/charge", "payment", status),
        )
        provider = {
            "http.request.method": "POST",
            "url.full": "https://api.acme-payments.example/v1/charges",
            "server.address": "api.acme-payments.example",
            "server.port": 443,
            "http.response.status_code": status,
            "service.peer.name": "acme-payments",
            "app.amount": 249.0,
            "app.customer": f"cus_{n:08d}",
        }
        span("payment", 8, 7, "POST", 3, 750, 800, provider)
        if n % 1000 == 1:  # planted: a leaked card, an id in a name
            out["payment"][-1]["attributes"] += _kv({"app.card": "4111111111111111"})
            out["checkout"][-1 - 1]["name"] = f"POST /orders/{100000 + n}"
    return out


def write_jsonl(traces: dict[str, list], path: Path, per_line: int = 1000) -> int:
    lines = 0
    with path.open("w") as f:
        for service, spans in traces.items():
            for i in range(0, len(spans), per_line):
                request = {
                    "resourceSpans": [
                        {
                            "resource": {
                                "attributes": _kv(
                                    {"service.name": service, "service.namespace": "shop"}
                                )
                            },
                            "scopeSpans": [
                                {"scope": {"name": "bench"}, "spans": spans[i : i + per_line]}
                            ],
                        }
                    ]
                }
                f.write(json.dumps(request, separators=(",", ":")) + "\n")
                lines += 1
    return lines


def timed(fn) -> tuple[float, float]:
    """(wall, CPU) seconds; CPU counts this process and the children it waited for."""

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    wall, used = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - wall, cpu() - used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    traces = make_traces(args.spans, random.Random(7))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spans.jsonl"
        lines = write_jsonl(traces, path)
        spans = spans_from(path)
        size = path.stat().st_size / 1e6
        print(
            f"{len(spans)} spans in {len(spans) // 9} traces, "
            f"{size:.1f} MB of OTLP/JSON in {lines} lines"
        )
        report = check(spans)
        print("findings:", ", ".join(f"{f.rule}/{f.severity}" for f in report.findings) or "none")

        rules, command, load = [], [], []
        for _ in range(args.runs):
            rules.append(timed(lambda: check(spans)))
            load.append(timed(lambda: spans_from(path)))
            run = [sys.executable, "-m", "coursekit.doctor", str(path), "--json"]
            command.append(
                timed(
                    lambda run=run: subprocess.run(run, cwd=ROOT, capture_output=True, check=False)
                )
            )

    def show(label, times):
        walls, cpus = [t[0] for t in times], [t[1] for t in times]
        median = statistics.median(walls)
        print(
            f"{label:<46}{median:6.2f} s ({min(walls):.2f}-{max(walls):.2f}), "
            f"CPU {statistics.median(cpus):.2f} s, {len(spans) / median:,.0f} spans/s"
        )

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if Path("/usr/bin/time").exists():  # the command's own peak, not this big process's
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "spans.jsonl"
            write_jsonl(traces, path)
            run = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "coursekit.doctor", str(path)]
            done = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, check=False)
            peak = int(done.stderr.strip().splitlines()[-1]) / 1024
        print(f"peak memory of the command: {peak:.0f} MiB")
    print(f"median wall time of {args.runs} runs (min-max), median CPU time:")
    show("rules only (spans in memory)", rules)
    show("reading + decoding (json + json_format)", load)
    show("whole command (process, read, check, --json)", command)


if __name__ == "__main__":
    main()
