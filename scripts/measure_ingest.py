"""Is the receiver's store the bottleneck? Ingest rates, measured in one run.

    python scripts/measure_ingest.py [--rounds R] [--requests N] [--seconds S]

Four rates, in spans per second:

- ``store.add``, in memory and in a file (SQLite, WAL): the store alone, 512-span batches
  (the SDK's BatchSpanProcessor sends up to 512 spans per request);
- OTLP/HTTP into a receiver with an in-memory store and with a file store: protobuf
  requests of 512 spans from 4 sending threads, each answered only once stored;
- the shop's own export rate at full speed: the four in-process services, each with a
  BatchSpanProcessor and the OTLP/HTTP exporter, checkouts as fast as 4 clients can send
  them, counting the spans the receiver stored per second.

The variants take turns, round after round, so a change in the machine's load falls on
all of them alike; the table shows the median and the range over the rounds. Timings
depend on the machine and its load: printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

from services.backend import otlp  # noqa: E402
from services.backend.receiver import Receiver, received_spans  # noqa: E402
from services.backend.store import SpanStore  # noqa: E402
from services.common.telemetry import make_tracer_provider  # noqa: E402
from services.run.in_process import Shop  # noqa: E402

BATCH = 512


def export_request(batch: int, seed: int) -> otlp.ExportTraceServiceRequest:
    """One request of ``batch`` spans shaped like the shop's: 9-span traces, attributes."""
    request = otlp.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "bench"
    spans = resource_spans.scope_spans.add()
    spans.scope.name = "bench"
    for n in range(batch):
        span = spans.spans.add(
            trace_id=(seed * 1_000_000 + n // 9 + 1).to_bytes(16, "big"),
            span_id=(seed * 1_000_000 + n + 1).to_bytes(8, "big"),
            name=f"POST /route{n % 9}",
            kind=2,
            start_time_unix_nano=1_700_000_000_000_000_000 + n * 1000,
            end_time_unix_nano=1_700_000_000_000_000_000 + n * 1000 + 500_000,
        )
        for key, value in (("http.route", f"/route{n % 9}"), ("http.request.method", "POST")):
            span.attributes.add(key=key).value.string_value = value
        span.attributes.add(key="http.response.status_code").value.int_value = 200
    return request


def store_rate(path: Path | None, requests_n: int) -> float:
    store = SpanStore(path, max_spans=10**9) if path is None else SpanStore(path)
    batches = [list(received_spans(export_request(BATCH, n))) for n in range(requests_n)]
    start = time.perf_counter()
    for batch in batches:
        store.add(batch)
    elapsed = time.perf_counter() - start
    store.close()
    return requests_n * BATCH / elapsed


def http_rate(path: Path | None, requests_n: int, senders: int = 4) -> float:
    store = SpanStore(path, max_spans=10**9) if path is None else SpanStore(path)
    bodies = [export_request(BATCH, n).SerializeToString() for n in range(requests_n)]
    with Receiver(store=store) as receiver, requests.Session() as session:
        headers = {"Content-Type": otlp.PROTOBUF}

        def post(body: bytes) -> None:
            answer = session.post(receiver.endpoint, data=body, headers=headers, timeout=60)
            answer.raise_for_status()

        start = time.perf_counter()
        with ThreadPoolExecutor(senders) as pool:
            list(pool.map(post, bodies))
        elapsed = time.perf_counter() - start
        assert len(store) == requests_n * BATCH, "spans were lost"
    store.close()
    return requests_n * BATCH / elapsed


def shop_rate(seconds: float, clients: int = 4) -> float:
    """Spans per second the shop exports at full speed (as the receiver stores them)."""
    with Receiver(store=SpanStore(max_spans=10**9)) as receiver:

        def provider(service):
            exporter = OTLPSpanExporter(endpoint=receiver.endpoint)
            return make_tracer_provider(service, exporter, processor_factory=BatchSpanProcessor)

        shop = Shop(provider_factory=provider)
        with shop:
            url = f"{shop.url()}/checkout"
            stop = time.perf_counter() + seconds

            def client() -> None:
                with requests.Session() as session:
                    while time.perf_counter() < stop:
                        session.post(url, json={}, timeout=30)

            start = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
        # Stopping the shop shut its providers down: every span produced is exported now.
        return len(receiver.db) / elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="512-span requests per turn")
    parser.add_argument("--seconds", type=float, default=5.0, help="shop load per turn")
    args = parser.parse_args(argv)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_n in range(args.rounds):
            turns = {
                "store.add, in memory": lambda: store_rate(None, args.requests),
                "store.add, SQLite file": lambda r=round_n: store_rate(
                    Path(tmp) / f"add{r}.db", args.requests
                ),
                "OTLP/HTTP -> receiver, in memory": lambda: http_rate(None, args.requests),
                "OTLP/HTTP -> receiver, SQLite file": lambda r=round_n: http_rate(
                    Path(tmp) / f"http{r}.db", args.requests
                ),
                "the shop's export at full speed": lambda: shop_rate(args.seconds),
            }
            for name, turn in turns.items():
                results.setdefault(name, []).append(turn())
                print(f"round {round_n + 1}: {name}: {results[name][-1]:,.0f} spans/s",
                      file=sys.stderr, flush=True)  # fmt: skip
    width = max(map(len, results))
    print(f"{'spans per second':<{width}}  {'median':>9}  {'range over rounds':>21}")
    for name, rates in results.items():
        spread = f"{min(rates):,.0f} - {max(rates):,.0f}"
        print(f"{name:<{width}}  {statistics.median(rates):>9,.0f}  {spread:>21}")
    shop = statistics.median(results["the shop's export at full speed"])
    slowest = min(statistics.median(results[n]) for n in results if "receiver" in n)
    print(f"\nthe slowest receiver takes {slowest / shop:.1f}x what the shop exports at full speed")


if __name__ == "__main__":
    main()
