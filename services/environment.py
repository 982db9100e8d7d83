"""Tracer providers configured by the standard OpenTelemetry environment variables.

Used when the shop runs on its own (``python -m services``), so it can send to any real
backend. Which exporter ``OTEL_TRACES_EXPORTER`` names (and how ``otlp`` follows
``OTEL_EXPORTER_OTLP_PROTOCOL``) is resolved by the SDK's own configuration code, the
same code ``opentelemetry-instrument`` runs. The exporters read their endpoint, headers
and timeouts from ``OTEL_EXPORTER_OTLP_*`` themselves; the SDK's ``TracerProvider`` reads
``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG``.
"""

from __future__ import annotations

import os
from functools import cache

from opentelemetry.sdk._configuration import _get_exporter_names, _import_exporters
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from .telemetry import make_tracer_provider

#: Without OTEL_TRACES_EXPORTER, print spans: a learner sees tracing work with no backend.
DEFAULT_EXPORTER = "console"


def use_default_exporter() -> None:
    """Without OTEL_TRACES_EXPORTER, export to DEFAULT_EXPORTER (call once, at start-up)."""
    os.environ.setdefault("OTEL_TRACES_EXPORTER", DEFAULT_EXPORTER)


def exporter_names() -> list[str]:
    return _get_exporter_names("traces")


@cache
def _exporter_classes(names: tuple[str, ...]) -> tuple:
    return tuple(_import_exporters(list(names), [], [])[0].values())


def provider_from_environment(service: str) -> TracerProvider:
    """A provider for one service, exporting as the OTEL_* variables say (batched)."""
    provider = make_tracer_provider(service)
    for exporter_class in _exporter_classes(tuple(exporter_names())):
        provider.add_span_processor(BatchSpanProcessor(exporter_class()))
    return provider


def check_environment() -> None:
    """Raise a one-line error for an exporter or sampler the OTEL_* variables name wrongly."""
    _exporter_classes(tuple(exporter_names()))
    TracerProvider(shutdown_on_exit=False)  # reads OTEL_TRACES_SAMPLER(_ARG)
