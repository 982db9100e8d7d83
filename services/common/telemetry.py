"""Telemetry shared by the four services: one TracerProvider per service, seeded ids,
per-service log files, and client spans that belong to the service making the call.

Why the routing tracer: ``RequestsInstrumentor`` patches ``requests`` once per process with
one tracer. The shop runs four services in one process, and each client span must carry
the *calling* service's resource. So requests is instrumented with a tracer that, at each
call, acts for whichever service is handling the current request (a context variable set
as each request starts). Span creation, attributes and ``traceparent`` injection stay the
instrumentation's own work.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
import weakref
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Sampler

from .semconv import use_stable_http

#: The provider of the service handling the current request (None outside a request).
_current_provider: contextvars.ContextVar[TracerProvider | None] = contextvars.ContextVar(
    "shop_current_provider", default=None
)


class SeededIdGenerator(IdGenerator):
    """Trace and span ids from a seeded generator, so sequential runs give the same ids."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def generate_span_id(self) -> int:
        with self._lock:
            return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        with self._lock:
            return self._random.getrandbits(128) or 1


class _ActiveServiceTracer(trace.Tracer):
    """A tracer that delegates to the provider of the service handling this request."""

    def __init__(self, *args, **kwargs) -> None:
        self._args, self._kwargs = args, kwargs
        self._tracers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _delegate(self) -> trace.Tracer:
        provider = _current_provider.get()
        if provider is None:  # not inside a shop request: the learner's own calls
            return trace.NoOpTracer()
        tracer = self._tracers.get(provider)
        if tracer is None:  # one tracer per provider, not one per client span
            tracer = self._tracers[provider] = provider.get_tracer(*self._args, **self._kwargs)
        return tracer

    def start_span(self, *args, **kwargs):
        return self._delegate().start_span(*args, **kwargs)

    def start_as_current_span(self, *args, **kwargs):
        return self._delegate().start_as_current_span(*args, **kwargs)


class _ActiveServiceTracerProvider(trace.TracerProvider):
    def get_tracer(self, *args, **kwargs) -> trace.Tracer:
        return _ActiveServiceTracer(*args, **kwargs)


_requests_lock = threading.Lock()


def instrument_requests_once() -> None:
    """Instrument ``requests`` for the whole process, once, whatever the number of shops."""
    use_stable_http()
    with _requests_lock:
        instrumentor = RequestsInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=_ActiveServiceTracerProvider())


class _TraceIdsOnLogLines(logging.Filter):
    """Adds the current trace and span id to a log record (empty when there is no span).

    The OpenTelemetry logging instrumentation does the same through a process-wide log
    record factory; the shop keeps it per service so four services can share a process.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_ids = (
                f" trace_id={trace.format_trace_id(context.trace_id)}"
                f" span_id={trace.format_span_id(context.span_id)}"
            )
        else:
            record.trace_ids = ""
        return True


class _LinesHandler(logging.Handler):
    """Keeps formatted lines in memory: the service's own "log file"."""

    def __init__(self, lines: list[str], echo: bool) -> None:
        super().__init__()
        self.lines, self.echo = lines, echo

    def emit(self, record: logging.LogRecord) -> None:  # logging holds the handler's lock
        line = self.format(record)
        self.lines.append(line)
        if self.echo:
            print(line, flush=True)


_LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-5s %(service)s%(trace_ids)s %(message)s"


@dataclass
class ServiceTelemetry:
    """What one service uses to trace and log: its provider, tracer, logger and log lines."""

    name: str
    provider: TracerProvider | None
    log_lines: list[str] = field(default_factory=list)
    echo_logs: bool = False
    #: With no provider of its own, trace through the global API: whatever SDK the
    #: process set up (``opentelemetry-instrument`` does), or nothing at all.
    global_api: bool = False
    #: What the service started and must stop with it (a worker thread, say): called on
    #: ``shutdown()``, before the provider flushes.
    on_shutdown: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.provider is not None:
            self.tracer = self.provider.get_tracer(f"shop.{self.name}")
        elif self.global_api:
            self.tracer = trace.get_tracer(f"shop.{self.name}")
        else:
            self.tracer = trace.NoOpTracer()
        # A logger outside logging's global registry: nothing leaks between shops or to root.
        self.logger = logging.Logger(f"shop.{self.name}", level=logging.INFO)
        handler = _LinesHandler(self.log_lines, self.echo_logs)
        formatter = logging.Formatter(_LOG_FORMAT, datefmt="%H:%M:%S")
        formatter.converter = time.localtime
        handler.setFormatter(formatter)
        handler.addFilter(_TraceIdsOnLogLines())
        self.logger.addHandler(handler)
        self._log_extra = {"service": self.name}

    def activate(self) -> None:
        """Mark this service as the one handling the current request (for client spans)."""
        _current_provider.set(self.provider)

    def info(self, message: str, *args) -> None:
        self.logger.info(message, *args, extra=self._log_extra)

    def error(self, message: str, *args) -> None:
        self.logger.error(message, *args, extra=self._log_extra)

    def shutdown(self) -> None:
        while self.on_shutdown:
            self.on_shutdown.pop()()
        if self.provider is not None:
            self.provider.shutdown()


def make_tracer_provider(
    service: str,
    exporter: SpanExporter | None = None,
    *,
    id_generator: IdGenerator | None = None,
    sampler: Sampler | None = None,
    processor_factory=SimpleSpanProcessor,
    span_limits=None,
) -> TracerProvider:
    """A provider whose resource names the service, exporting through ``processor_factory``.

    ``SimpleSpanProcessor`` exports as each span ends, so a notebook can read the spans
    as soon as a request returns; ``BatchSpanProcessor`` is what production uses.
    ``span_limits``: the SDK's ``SpanLimits`` (default: read from ``OTEL_*_LIMIT``).
    """
    resource = Resource.create({SERVICE_NAME: service, "service.namespace": "shop"})
    provider = TracerProvider(
        resource=resource, id_generator=id_generator, sampler=sampler, span_limits=span_limits
    )
    if exporter is not None:
        provider.add_span_processor(processor_factory(exporter))
    return provider
