"""The one place the course calls private OpenTelemetry SDK code, pinned and tested.

``opentelemetry-instrument`` turns ``OTEL_TRACES_EXPORTER`` (and, for ``otlp``,
``OTEL_EXPORTER_OTLP_PROTOCOL``) into exporter classes with code in
``opentelemetry.sdk._configuration``, which has no public equivalent. ``python -m
services`` must read those variables exactly as ``opentelemetry-instrument`` does, so it
calls that code rather than a copy of it, here and nowhere else.
The HTTP instrumentations read ``OTEL_SEMCONV_STABILITY_OPT_IN`` once per process, in
``opentelemetry.instrumentation._semconv`` (no public way to ask what they read): the shop
asks here whether they emit the stable names (``semconv.py``).
``tests/test_private_apis.py`` fails with a clear message when the pinned SDK changes it.
"""

from __future__ import annotations

from opentelemetry.instrumentation import _semconv
from opentelemetry.sdk import _configuration
from opentelemetry.sdk.trace.export import SpanExporter

#: The SDK version this module was written against (requirements.txt pins it).
WRITTEN_FOR = "1.45.1"


def trace_exporter_names() -> list[str]:
    """The entry-point names ``OTEL_TRACES_EXPORTER`` selects ([] for none or unset)."""
    return _configuration._get_exporter_names("traces")


def trace_exporter_classes(names: list[str]) -> dict[str, type[SpanExporter]]:
    """The exporter class each entry-point name loads; RuntimeError for an unknown one."""
    return _configuration._import_exporters(list(names), [], [])[0]


def http_semconv_is_stable() -> bool:
    """Whether this process's HTTP instrumentations emit the stable names (``http`` or
    ``http/dup``); it reads the environment now if no instrumentation has yet."""
    stability = _semconv._OpenTelemetrySemanticConventionStability
    stability._initialize()  # a no-op once an instrumentation has done it
    mode = stability._get_opentelemetry_stability_opt_in_mode(
        _semconv._OpenTelemetryStabilitySignalType.HTTP
    )
    return mode in (_semconv._StabilityMode.HTTP, _semconv._StabilityMode.HTTP_DUP)
