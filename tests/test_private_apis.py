"""The one wrapper of private OpenTelemetry SDK code still works with the pinned SDK.

services/common/sdk_private.py calls ``opentelemetry.sdk._configuration``, which may change
in any release. If this fails after an SDK upgrade, update that module, not its callers.
"""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.sdk.version import __version__ as sdk_version

from services.common import sdk_private

CHANGED = (
    f"opentelemetry-sdk {sdk_version} changed the private code services/common/sdk_private.py "
    f"calls (written for {sdk_private.WRITTEN_FOR}): update that module"
)


def resolve(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        names = sdk_private.trace_exporter_names()
        return names, sdk_private.trace_exporter_classes(names)
    except (AttributeError, TypeError, ValueError, IndexError) as error:
        pytest.fail(f"{CHANGED}: {type(error).__name__}: {error}")


def test_exporter_names_and_classes_as_opentelemetry_instrument_resolves_them(monkeypatch):
    names, classes = resolve(
        monkeypatch,
        OTEL_TRACES_EXPORTER="console, otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
    )
    assert names == ["console", "otlp_proto_http"], CHANGED
    assert classes == {"console": ConsoleSpanExporter, "otlp_proto_http": OTLPSpanExporter}, CHANGED


def test_none_selects_no_exporter(monkeypatch):
    assert resolve(monkeypatch, OTEL_TRACES_EXPORTER="none") == ([], {}), CHANGED


def test_an_unknown_exporter_is_a_runtime_error(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "no-such-exporter")
    with pytest.raises(RuntimeError):
        sdk_private.trace_exporter_classes(sdk_private.trace_exporter_names())


def test_the_http_semconv_mode_can_be_read():
    try:
        stable = sdk_private.http_semconv_is_stable()
    except (AttributeError, TypeError) as error:
        pytest.fail(f"opentelemetry-instrumentation changed _semconv: {error}")
    assert isinstance(stable, bool)
