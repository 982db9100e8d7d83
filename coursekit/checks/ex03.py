"""Exercise 03: a provider that tags every span and exports to two backends at once.

Graded on what two local OTLP receivers got from the shop, built with the learner's
``build_provider``: every span at both, with the release attribute on the span and the
service and deployment on the resource.
"""

from __future__ import annotations

import logging

import requests
from opentelemetry.sdk.trace import TracerProvider

from services.backend.receiver import Receiver
from services.run.in_process import Shop

from ..spans import records
from .report import NotYet, call_learner_code, run_check

RELEASE = "2026.11"
ENVIRONMENT = "workshop"
CHECKOUTS = 2
SERVICES = {"frontend", "checkout", "inventory", "payment"}


def _received(build_provider):
    first, second = Receiver(), Receiver()

    def provider(service):
        made = call_learner_code(build_provider, service, [first.endpoint, second.endpoint],
                                 name="build_provider")  # fmt: skip
        if not isinstance(made, TracerProvider):
            raise NotYet(f"build_provider returned {made!r}: return the TracerProvider you built.")
        return made

    # A broken processor makes the Flask instrumentation warn on stderr; the hint below
    # says what went wrong instead.
    instrumentation_log = logging.getLogger("opentelemetry.instrumentation")
    level = instrumentation_log.level
    instrumentation_log.setLevel(logging.ERROR)
    try:
        first.start()
        second.start()
        with Shop(provider_factory=provider) as shop:
            statuses = [
                requests.post(f"{shop.url()}/checkout", json={}, timeout=10).status_code
                for _ in range(CHECKOUTS)
            ]
        if any(status != 200 for status in statuses):
            raise NotYet(
                f"the checkouts answered {statuses}: code in your provider raised while the "
                "services recorded spans (for example set_attribute in on_end, where a span "
                "is already read-only)."
            )
        return first.spans(), second.spans()
    finally:
        instrumentation_log.setLevel(level)
        first.stop()
        second.stop()


def _check(build_provider) -> str:
    if not callable(build_provider):
        raise NotYet("build_provider is not a function: def build_provider(service, endpoints):")
    first, second = _received(build_provider)
    expected = 9 * CHECKOUTS
    for name, got in (("the first", first), ("the second", second)):
        if not got:
            raise NotYet(
                f"{name} receiver got no spans: add one exporter per endpoint, e.g. "
                "BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)) for each."
            )
        if len(got) != expected:
            raise NotYet(f"{name} receiver got {len(got)} spans, not {expected}.")
    if {r.span_id for r in records(first)} != {r.span_id for r in records(second)}:
        raise NotYet("the two receivers got different spans: both should get every span.")
    services = {received.resource.get("service.name") for received in first}
    if services != SERVICES:
        raise NotYet(
            f"the spans' resources name the services {sorted(map(str, services))}, not "
            f"{sorted(SERVICES)}: create each provider with "
            "resource=Resource.create({'service.name': service, ...}), using the argument."
        )
    for received in first:
        span = records([received])[0]
        resource = received.resource
        if resource.get("deployment.environment.name") != ENVIRONMENT:
            raise NotYet(
                f"the resource should say deployment.environment.name = {ENVIRONMENT!r}: it "
                "describes where the service runs, the same for all its spans."
            )
        if span.attributes.get("app.release") != RELEASE:
            where = " (it is on the resource, not the span)" if "app.release" in resource else ""
            raise NotYet(
                f"span {span.name!r} has no app.release = {RELEASE!r}{where}: set it in "
                "ReleaseTagger.on_start, and add a ReleaseTagger() to the provider with "
                "add_span_processor."
            )
    return f"both receivers got all {expected} spans, each tagged with the release and deployment."


def check_provider(build_provider) -> None:
    """Grade ``build_provider(service, endpoints) -> TracerProvider``."""
    run_check(_check, build_provider)
