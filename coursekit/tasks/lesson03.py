"""Lesson 03's "your turn" checks: swap the exporter, and name a release with OTEL_* variables.

The exporter check sends a probe span, then a whole checkout of an unchanged shop, to a
fresh local OTLP receiver, and judges what arrived. The settings check lets the SDK read
the learner's variables (``Resource.create``, what every ``TracerProvider`` does) for
services and releases the lesson did not show.
"""

from __future__ import annotations

import logging
import os
import threading
from unittest import mock

import requests
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services import Receiver, Shop, make_tracer_provider

from ..quiet import quiet_logger
from ..spans import by_trace
from . import NotYet, call_learner_code, run_check

PROBE_SECONDS = 3.0  # an exporter retrying an address where nothing listens takes 10 s


def _quiet_exporters():
    """The OTLP exporter logs each failed export; the hint says what went wrong instead."""
    return quiet_logger("opentelemetry.exporter", logging.CRITICAL)


def _probe(exporter) -> SpanExportResult | None:
    """Export one span; None if the exporter is still busy after PROBE_SECONDS."""
    provider = TracerProvider(resource=Resource.create({"service.name": "probe"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.get_tracer("probe").start_span("probe").end()
    outcome = []
    worker = threading.Thread(
        target=lambda: outcome.append(exporter.export(memory.get_finished_spans())),
        name="lesson03-probe",
        daemon=True,
    )
    worker.start()
    worker.join(PROBE_SECONDS)
    busy = worker.is_alive()
    if busy:  # still retrying: shutting the exporter down ends its back-off
        shutdown = getattr(exporter, "shutdown", None)
        if callable(shutdown):
            threading.Thread(target=shutdown, name="lesson03-probe-stop", daemon=True).start()
        worker.join(2)
    provider.shutdown()
    return None if busy or not outcome else outcome[0]


def _make(make_exporter, url):
    exporter = call_learner_code(make_exporter, url, name="make_exporter")
    if exporter is None:
        raise NotYet("make_exporter returned None: return an exporter (an instance).")
    if isinstance(exporter, type):
        raise NotYet(f"make_exporter returned the class {exporter.__name__}: return an instance.")
    if not isinstance(exporter, SpanExporter):
        raise NotYet(f"make_exporter returned a {type(exporter).__name__}: return a span exporter.")
    if isinstance(exporter, InMemorySpanExporter | ConsoleSpanExporter):
        raise NotYet(
            f"a {type(exporter).__name__} keeps the spans in this process: nothing "
            "reaches the backend. Send OTLP over HTTP, as the receiver expects."
        )
    if ".grpc" in type(exporter).__module__:
        raise NotYet(
            "that is the OTLP/gRPC exporter; the receiver speaks OTLP over HTTP "
            "(opentelemetry.exporter.otlp.proto.http)."
        )
    return exporter


def _check_exporter(make_exporter) -> str:
    with Receiver() as receiver, _quiet_exporters():
        result = _probe(_make(make_exporter, receiver.url))
        if result is None:
            raise NotYet(
                f"your exporter was still trying after {PROBE_SECONDS:.0f} s: nothing "
                f"answers where it sends. The backend's base URL is {receiver.url}; use "
                "the url argument, not a fixed address."
            )
        if result != SpanExportResult.SUCCESS:
            raise NotYet(
                f"the backend at {receiver.url} refused the export (an OTLP/HTTP "
                "backend takes traces at <base URL>/v1/traces). The endpoint= "
                "argument is used exactly as given; only OTEL_EXPORTER_OTLP_ENDPOINT "
                "gets /v1/traces added."
            )
        receiver.clear()

        def provider(service):
            exporter = _make(make_exporter, receiver.url)
            return make_tracer_provider(service, exporter, processor_factory=SimpleSpanProcessor)

        with Shop(provider_factory=provider) as shop:
            status = requests.post(f"{shop.url()}/checkout", json={}, timeout=10).status_code
        traces = by_trace(receiver.spans())
    if status != 200:
        raise NotYet(f"the checkout answered {status}: the exporter broke the services.")
    if len(traces) != 1:
        raise NotYet(f"the receiver got {len(traces)} traces from one checkout; it wants one.")
    services = sorted({span.service for span in next(iter(traces.values()))})
    if len(services) != 4:
        raise NotYet(
            f"spans arrived from {', '.join(services)} only: each service calls "
            "make_exporter once; return a new exporter each time."
        )
    spans = len(next(iter(traces.values())))
    return (
        f"with nothing changed in the services, a new receiver got the checkout's {spans} "
        "spans from all four, over OTLP/HTTP."
    )


def check_exporter(make_exporter) -> None:
    """``make_exporter(url)``: an exporter sending to the OTLP/HTTP backend at base ``url``."""
    run_check(_check_exporter, make_exporter)


# --- your turn 2: a release, in the resource --------------------------------------------------
CASES = (("invoice-worker", "2.4.1"), ("checkout", "2026.12.0-rc.1"))
ENVIRONMENT = ("deployment.environment.name", "workshop")


def resource_from(settings: dict[str, str]) -> dict:
    """The resource a TracerProvider gets in a process started with exactly these OTEL_*
    variables (the SDK's own reading: ``Resource.create``)."""
    with mock.patch.dict(os.environ):
        for name in [n for n in os.environ if n.startswith("OTEL_")]:
            del os.environ[name]
        os.environ.update(settings)
        return dict(Resource.create().attributes)


def _settings_hint(settings, service, version) -> str | None:
    if settings is None:
        return "release_settings returned None: return a dict of variable name -> value."
    if not isinstance(settings, dict):
        return f"release_settings returned a {type(settings).__name__}: return a dict."
    bad = [k for k, v in settings.items() if not (isinstance(k, str) and isinstance(v, str))]
    if bad:
        return (
            f"{bad[0]!r} is not set to a str: environment variables are strings "
            '(write "2.4.1", not 2.4.1).'
        )
    if "OTEL_SERVICE_VERSION" in settings:
        return (
            "there is no OTEL_SERVICE_VERSION; the SDK ignores it. A release is the "
            "resource attribute service.version, set in OTEL_RESOURCE_ATTRIBUTES."
        )
    got = resource_from(settings)
    if got.get("service.name") != service:
        return (
            f"service.name came out as {got.get('service.name')!r}: set it with "
            "OTEL_SERVICE_NAME (which wins over a service.name in "
            "OTEL_RESOURCE_ATTRIBUTES)."
        )
    if got.get("service.version") != version:
        other = [k for k, v in got.items() if isinstance(v, str) and v.startswith(version)]
        if other and other[0] != "service.version":
            return (
                f"the resource has {other[0]}={got[other[0]]!r}: the semantic conventions "
                "name a release service.version."
            )
        if other:
            return (
                f"service.version came out as {got['service.version']!r}: separate "
                "attributes with commas, key=value,key=value."
            )
        return "the resource has no service.version: add it to OTEL_RESOURCE_ATTRIBUTES."
    if got.get(ENVIRONMENT[0]) != ENVIRONMENT[1]:
        if got.get("deployment.environment") == ENVIRONMENT[1]:
            return (
                "deployment.environment is the old name: the current semantic conventions "
                "say deployment.environment.name."
            )
        return f"the resource lacks {ENVIRONMENT[0]}={ENVIRONMENT[1]}."
    return None


def _check_settings(release_settings) -> str:
    for service, version in CASES:
        settings = call_learner_code(release_settings, service, version, name="release_settings")
        hint = _settings_hint(settings, service, version)
        if hint:
            raise NotYet(f"for {service} {version}, {hint}")
    return (
        "the SDK read your variables into the resource: service.name, service.version "
        "and the deployment, for every service and release the check tried."
    )


def check_release_settings(release_settings) -> None:
    """``release_settings(service, version)``: the OTEL_* variables, a dict of str."""
    run_check(_check_settings, release_settings)
