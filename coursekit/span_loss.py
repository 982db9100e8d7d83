"""Where spans get lost between a service and its backend, each loss counted: lesson 06.

- ``burst``: more spans at once than the Batch span processor's queue holds, while its
  exporter is busy; the drops are counted by the SDK's own metric
  (``otel.sdk.processor.span.processed`` with ``error.type=queue_full``, read from a
  MeterProvider of our own) and its log;
- ``export_to``: spans through the OTLP/HTTP exporter to a receiver that refuses (503 with
  ``Retry-After``) or answers late, counting what the receiver stored, what it refused and
  what the exporter logged.

The exporter's retries, its backoff and its timeout are the SDK's own
(``opentelemetry-exporter-otlp-proto-http``); nothing here re-implements them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from services.common.environment import otel_settings

SDK_VERSION = version("opentelemetry-sdk")
#: The loggers that report a full queue, and an export's retries and failures.
BATCH_LOGGER = "opentelemetry.sdk._shared_internal"
EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.common.http",
)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


class _captured:
    """Log records of some loggers, kept (not printed) while the block runs."""

    def __init__(self, *names: str) -> None:
        self.handler, self.names, self.saved = _Lines(), names, []

    def __enter__(self) -> list[str]:
        for name in self.names:
            logger = logging.getLogger(name)
            self.saved.append((logger, logger.propagate, logger.level))
            logger.addHandler(self.handler)
            logger.propagate = False
            logger.setLevel(logging.INFO)
        return self.handler.lines

    def __exit__(self, *exc) -> None:
        for logger, propagate, level in self.saved:
            logger.removeHandler(self.handler)
            logger.propagate, logger.level = propagate, level


class GateExporter(SpanExporter):
    """An exporter that holds every export until ``gate`` is set: a backend that is busy
    during the burst. Notes which spans (by their ``n`` attribute) it exported."""

    def __init__(self) -> None:
        self.gate, self.busy = threading.Event(), threading.Event()
        self.numbers: list[int] = []

    def export(self, spans) -> SpanExportResult:
        self.busy.set()
        self.gate.wait(10)
        self.numbers.extend(span.attributes["n"] for span in spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.gate.set()


@dataclass
class Burst:
    created: int
    max_queue_size: int
    max_export_batch_size: int
    exported: int
    dropped_metric: int  #: the SDK's own count of spans dropped with error.type=queue_full
    warnings: list[str]
    exported_numbers: list[int] = field(repr=False)

    def ranges(self) -> str:
        """The exported spans' numbers, as ranges: which spans survived."""
        numbers = sorted(self.exported_numbers)
        out, start = [], None
        for i, n in enumerate(numbers):
            if start is None:
                start = n
            if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
                out.append(f"{start}-{n}" if start != n else f"{n}")
                start = None
        return ", ".join(out)


def burst(
    spans: int = 1000,
    *,
    max_queue_size: int = 256,
    max_export_batch_size: int = 64,
    schedule_delay_millis: int = 5000,
) -> Burst:
    """``spans`` spans at once, numbered 0.., while the exporter is busy.

    First one batch of spans (numbered -1) is queued and handed to the exporter, which
    holds it: the worker thread now waits in ``export`` and takes nothing from the queue,
    so what the burst keeps and drops is the same on every run."""
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    exporter = GateExporter()
    # The SDK counts its own drops (SDK 1.39 and later) when its internal metrics are on
    # and it has a MeterProvider: without ``meter_provider=`` it takes the global one,
    # a no-op unless one was set.
    with otel_settings({"OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "true"}):
        processor = BatchSpanProcessor(
            exporter,
            max_queue_size=max_queue_size,
            schedule_delay_millis=schedule_delay_millis,
            max_export_batch_size=max_export_batch_size,
            meter_provider=meters,
        )
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("burst")
    try:
        with _captured(BATCH_LOGGER) as warnings:
            try:
                for _ in range(max_export_batch_size):  # a full batch wakes the worker
                    with tracer.start_as_current_span("before", attributes={"n": -1}):
                        pass
                if not exporter.busy.wait(10):
                    raise RuntimeError("the Batch processor's worker did not start exporting")
                for n in range(spans):
                    with tracer.start_as_current_span("work", attributes={"n": n}):
                        pass
                dropped = _queue_full(reader)
            finally:  # after an error too: no worker thread outlives the call
                exporter.gate.set()
                provider.shutdown()  # exports what is left in the queue, joins the worker
    finally:
        meters.shutdown()
    burst_numbers = [n for n in exporter.numbers if n >= 0]
    return Burst(
        spans,
        max_queue_size,
        max_export_batch_size,
        len(burst_numbers),
        dropped,
        list(warnings),
        burst_numbers,
    )


def _queue_full(reader: InMemoryMetricReader) -> int:
    data = reader.get_metrics_data()
    total = 0
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != "otel.sdk.processor.span.processed":
                    continue
                for point in metric.data.data_points:
                    if point.attributes.get("error.type") == "queue_full":
                        total += point.value
    return total


@dataclass
class Delivery:
    spans: int
    stored: int
    refused: int  #: export requests the receiver answered 503
    seconds: float
    log: list[str]

    @property
    def lost(self) -> int:
        return self.spans - self.stored


def export_to(receiver, *, spans: int = 5, timeout: float | None = None) -> Delivery:
    """``spans`` spans through a Simple processor and the OTLP/HTTP exporter to ``receiver``:
    one export request per span. What arrived, what was refused, what the exporter said."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    before_spans, before_refused = len(receiver.records()), receiver.store.refused_requests
    exporter = OTLPSpanExporter(endpoint=receiver.endpoint, timeout=timeout)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("delivery")
    started = time.perf_counter()
    with _captured(*EXPORTER_LOGGERS) as log:
        try:
            for n in range(spans):
                with tracer.start_as_current_span("work", attributes={"n": n}):
                    pass
        finally:
            provider.shutdown()  # closes the exporter's HTTP session, after an error too
    seconds = time.perf_counter() - started
    receiver.store.wait_until_idle()
    return Delivery(
        spans,
        len(receiver.records()) - before_spans,
        receiver.store.refused_requests - before_refused,
        seconds,
        list(log),
    )


class _Holding(SpanExporter):
    def __init__(self) -> None:
        self.spans: list = []

    def export(self, spans) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def bytes_per_queued_span(spans: int = 500) -> float:
    """Memory one ended span holds while it waits in a queue, measured with tracemalloc:
    a span like the shop's (a name, six attributes, one event)."""
    import tracemalloc

    holding = _Holding()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(holding))
    tracer = provider.get_tracer("memory")
    attributes = {"http.request.method": "POST", "http.route": "/checkout",
                  "url.path": "/checkout", "server.address": "127.0.0.1",
                  "http.response.status_code": 200, "app.order.id": "ord-0001"}  # fmt: skip
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(spans):
            with tracer.start_as_current_span("POST /checkout", attributes=attributes) as span:
                span.add_event("payment.charged")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        provider.shutdown()
    return held / spans
