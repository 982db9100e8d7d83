"""Tracer providers configured by the standard OpenTelemetry environment variables.

Used when the shop runs on its own (``python -m services``), so it can send to any real
backend. Which exporter ``OTEL_TRACES_EXPORTER`` names (and how ``otlp`` follows
``OTEL_EXPORTER_OTLP_PROTOCOL``) is resolved by the SDK's own configuration code, the
same code ``opentelemetry-instrument`` runs (wrapped in ``sdk_private.py``). The exporters
read their endpoint, headers and timeouts from ``OTEL_EXPORTER_OTLP_*`` themselves; the
SDK's ``TracerProvider`` reads ``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG``.
Also here: the ``OTEL_*`` environment a child process gets.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache
from unittest import mock

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from .sdk_private import trace_exporter_classes, trace_exporter_names
from .telemetry import make_tracer_provider

#: Without OTEL_TRACES_EXPORTER, print spans: a learner sees tracing work with no backend.
DEFAULT_EXPORTER = "console"


def use_default_exporter() -> None:
    """Without OTEL_TRACES_EXPORTER, export to DEFAULT_EXPORTER (call once, at start-up)."""
    os.environ.setdefault("OTEL_TRACES_EXPORTER", DEFAULT_EXPORTER)


def exporter_names() -> list[str]:
    return trace_exporter_names()


@cache
def _exporter_classes(names: tuple[str, ...]) -> tuple:
    return tuple(trace_exporter_classes(list(names)).values())


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


@contextlib.contextmanager
def otel_settings(settings: dict[str, str]):
    """These ``OTEL_*`` variables in this process's environment, for the block only: what
    an in-process service built inside the block reads, as if it had started with them."""
    with mock.patch.dict(os.environ, settings):
        yield


def environment_without_otel() -> dict[str, str]:
    """This process's environment minus its OTEL_* settings: a child gets only its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}


def otlp_env(endpoint_base: str, **more: str) -> dict[str, str]:
    """The ``OTEL_*`` settings that send traces, and only traces, as OTLP/HTTP to a receiver.

    ``endpoint_base`` is the receiver's URL without ``/v1/traces`` (the exporter adds it).
    """
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint_base,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the receiver quickly
        **more,
    }
