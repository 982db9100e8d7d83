"""Runs the four services in this process: one werkzeug server thread each, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler

from ..common.lifecycle import Group, ThreadServer, stop_all
from ..common.telemetry import (
    SeededIdGenerator,
    ServiceTelemetry,
    instrument_requests_once,
    make_tracer_provider,
)
from ..shop.config import ShopConfig
from .apps import create_app


class Shop(Group):
    """The four services, started together. Use it as a context manager, or call ``stop()``.

    By default every service exports to one shared ``InMemorySpanExporter``
    (``shop.exporter``), through a ``SimpleSpanProcessor``: a request's spans are there
    as soon as its response has arrived.

    ``sampler`` is one SDK sampler for every service, or a dict of service name -> sampler,
    one per service, as when each team configures its own (a service left out gets the
    SDK's default, read from ``OTEL_TRACES_SAMPLER``). With no sampler, every service gets
    that default. A ``provider_factory`` builds the providers itself and ignores ``sampler``.
    """

    def __init__(
        self,
        config: ShopConfig | None = None,
        *,
        sampler: Sampler | Mapping[str, Sampler] | None = None,
        provider_factory: Callable[[str], TracerProvider] | None = None,
        echo_logs: bool = False,
    ) -> None:
        self.config = config or ShopConfig()
        self.exporter = InMemorySpanExporter()
        self.urls: dict[str, str] = {}
        self.logs: dict[str, list[str]] = {}
        if isinstance(sampler, Mapping):
            unknown = sorted(set(sampler) - set(self.config.services))
            if unknown:
                raise ValueError(f"no service {unknown} in this shop: {self.config.services}")
        self._sampler = sampler
        self._provider_factory = provider_factory or self._in_memory_provider
        self._echo_logs = echo_logs
        self._id_generator = SeededIdGenerator(self.config.seed)
        self._telemetry: list[ServiceTelemetry] = []
        super().__init__({})  # the servers, one per service, made as the shop starts

    def _in_memory_provider(self, service: str) -> TracerProvider:
        return make_tracer_provider(
            service,
            self.exporter,
            id_generator=self._id_generator,
            sampler=self.sampler_for(service),
            processor_factory=SimpleSpanProcessor,
        )

    def sampler_for(self, service: str) -> Sampler | None:
        """The sampler given for ``service`` (None: the SDK's default)."""
        if isinstance(self._sampler, Mapping):
            return self._sampler.get(service)
        return self._sampler

    # --- lifecycle: Group's, plus making the servers and shutting the providers down ---
    def _launch(self) -> None:
        if self.config.tracing:
            instrument_requests_once()
        for name in self.config.services:
            provider = self._provider_factory(name) if self.config.tracing else None
            telemetry = ServiceTelemetry(name, provider, echo_logs=self._echo_logs)
            self._telemetry.append(telemetry)
            self.logs[name] = telemetry.log_lines
            app = create_app(name, telemetry, self.config, self.urls)
            self.members[name] = ThreadServer(app, f"shop-{name}")
            self.urls[name] = self.members[name].url
        super()._launch()

    def _stop(self) -> None:
        """Stop every server, join its thread, and shut the providers down."""
        super()._stop()
        for telemetry in self._telemetry:
            telemetry.shutdown()
        self.members, self._telemetry = {}, []

    # --- what a lesson reads --------------------------------------------------------------
    def url(self, service: str = "frontend") -> str:
        return self.urls[service]

    def spans(self) -> tuple[ReadableSpan, ...]:
        """Every span the four services have finished so far (in-memory exporter only)."""
        return self.exporter.get_finished_spans()

    def clear(self) -> None:
        """Forget the spans and log lines gathered so far."""
        self.exporter.clear()
        for lines in self.logs.values():
            lines.clear()

    def __repr__(self) -> str:
        state = ", ".join(f"{n}={u}" for n, u in self.urls.items()) if self.running else "stopped"
        return f"<Shop {state}>"


def exporting_to(
    endpoint: str,
    *,
    processor_factory: Callable = SimpleSpanProcessor,
    sampler: Sampler | None = None,
    **exporter_options,
) -> Callable[[str], TracerProvider]:
    """A ``provider_factory`` for ``Shop``: every service exports over OTLP/HTTP to ``endpoint``
    through ``processor_factory`` (the SDK's Simple or Batch processor, or a partial of one
    with its settings): ``Shop(provider_factory=exporting_to(receiver.endpoint))``.

    The SDK's ``OTLPSpanExporter`` does the encoding and the retries."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    def provider(service: str) -> TracerProvider:
        exporter = OTLPSpanExporter(endpoint=endpoint, **exporter_options)
        return make_tracer_provider(
            service, exporter, sampler=sampler, processor_factory=processor_factory
        )

    return provider


def start_shop(config: ShopConfig | None = None, **knobs) -> Shop:
    """Start the shop and return it: ``shop = start_shop(payment_timeout_every=5)``.

    Knobs are ``ShopConfig`` fields. Stop it with ``shop.stop()`` (or use ``with``).
    """
    config = (config or ShopConfig()).replace(**knobs)
    return Shop(config).start()


def stop_all_shops() -> None:
    """Stop every shop still running in this process (also done at interpreter exit)."""
    stop_all(Shop)
