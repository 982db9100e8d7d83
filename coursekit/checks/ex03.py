"""Exercise 03: each service's provider, with its facts on the resource, the request's
tenant on every span, and every span at two backends.

Graded on what two local OTLP receivers got from the shop built with the learner's
``build_provider``. The check makes up each service's release (a different one per
service, so a hard-coded or shared version fails) and the tenants of its checkouts
(drawn afresh each run, so none can be learnt from a hint), sends one checkout with no
tenant and one whose baggage holds another entry too.
"""

from __future__ import annotations

import random

import requests
from opentelemetry.sdk.trace import TracerProvider

from services.backend.receiver import Receiver
from services.run.in_process import Shop

from ..quiet import quiet_logger
from ..spans import by_trace, records
from .harness import NotYet, call_learner_code, require_function
from .report import run_check

ENVIRONMENT = "workshop"
TENANT = "app.tenant"
SPANS_PER_CHECKOUT = 9
SERVICES = ("frontend", "checkout", "inventory", "payment")
#: A baggage entry that is not the tenant: it must not end up on the spans.
OTHER_ENTRY = ("app.session", "s-81f0c2")


def releases(seeded: random.Random) -> dict[str, str]:
    """A release per service, all different."""
    minors = seeded.sample(range(1, 40), len(SERVICES))
    year = seeded.choice((2025, 2026))
    return {s: f"{year}.{m}.{seeded.randrange(10)}" for s, m in zip(SERVICES, minors, strict=True)}


#: Tenants a checkout may be for: not the text's example ("acme"), so that one hard-coded
#: fails at the first checkout.
TENANTS = ("globex", "initech", "umbrella", "hooli", "stark-eu", "wayne-corp", "tyrell",
           "soylent", "cyberdyne", "wonka", "aperture", "oscorp", "vandelay")  # fmt: skip


def tenants(seeded: random.Random) -> list[str | None]:
    """The tenant of each checkout (None: no baggage at all)."""
    names = seeded.sample(TENANTS, 3)
    return [names[0], None, names[1], names[2]]


def _received(build_provider, versions, checkouts):
    first, second = Receiver(), Receiver()

    def provider(service):
        made = call_learner_code(build_provider, service, versions[service],
                                 [first.endpoint, second.endpoint],
                                 name="build_provider")  # fmt: skip
        if not isinstance(made, TracerProvider):
            raise NotYet(f"build_provider returned {made!r}: return the TracerProvider you built.")
        return made

    # A broken processor makes the Flask instrumentation warn on stderr; the hint below
    # says what went wrong instead.
    with quiet_logger("opentelemetry.instrumentation"):
        try:
            first.start()
            second.start()
            with Shop(provider_factory=provider) as shop:
                statuses = []
                for n, tenant in enumerate(checkouts):
                    entries = [] if tenant is None else [f"{TENANT}={tenant}"]
                    if n == len(checkouts) - 1:
                        entries.append("=".join(OTHER_ENTRY))
                    headers = {"baggage": ",".join(entries)} if entries else {}
                    url = f"{shop.url()}/checkout"
                    try:
                        answer = requests.post(url, json={}, headers=headers, timeout=10)
                    except requests.RequestException as error:
                        raise NotYet(
                            f"a checkout did not answer ({type(error).__name__}): does code in "
                            "your provider wait for something while a span starts or ends?"
                        ) from None
                    statuses.append(answer.status_code)
            if any(status != 200 for status in statuses):
                raise NotYet(
                    f"the checkouts answered {statuses}: code in your provider raised while the "
                    "services recorded spans (for example set_attribute in on_end, where a span "
                    "is already read-only)."
                )
            return first.spans(), second.spans()
        finally:
            first.stop()
            second.stop()


def _check_resources(received, versions) -> None:
    named = {span.resource.get("service.name") for span in received}
    if named != set(versions):
        raise NotYet(
            f"the spans' resources name the services {sorted(map(str, named))}, not "
            f"{sorted(versions)}: each service gets a provider of its own, named after the "
            "service argument."
        )
    for span in received:
        resource, record = span.resource, records([span])[0]
        service = resource.get("service.name")
        if service not in versions:
            raise NotYet(
                f"a span's resource names the service {service!r}, not one of "
                f"{', '.join(SERVICES)}: use the service argument as service.name."
            )
        if resource.get("service.version") != versions[service]:
            where = (" It is a span attribute: a release is a fact about the process, the "
                     "same for all its spans, so it belongs on the resource."
                     if "service.version" in record.attributes else "")  # fmt: skip
            raise NotYet(
                f"the {service} service runs release {versions[service]!r}, but its spans' "
                f"resource says service.version = {resource.get('service.version')!r}: use "
                f"the version argument.{where}"
            )
        if resource.get("deployment.environment.name") != ENVIRONMENT:
            raise NotYet(
                f"the resource should say deployment.environment.name = {ENVIRONMENT!r}: it "
                "describes where the service runs, the same for all its spans."
            )


def _check_tenants(received, checkouts) -> None:
    traces = list(by_trace(received).values())
    for trace_records, tenant in zip(traces, checkouts, strict=True):
        for span in trace_records:
            got = span.attributes.get(TENANT)
            if OTHER_ENTRY[0] in span.attributes:
                raise NotYet(
                    f"span {span.name!r} carries {OTHER_ENTRY[0]}, a baggage entry that is not "
                    "the tenant: copy only app.tenant. Baggage comes from outside, and copying "
                    "every entry puts on your spans whatever a caller sends."
                )
            if tenant is None and TENANT in span.attributes:
                raise NotYet(
                    f"a checkout sent with no tenant has spans with app.tenant = {got!r}: "
                    "set the attribute only when the baggage holds a tenant."
                )
            if tenant is not None and got != tenant:
                raise NotYet(
                    f"in the {span.service} service, span {span.name!r} of a checkout for "
                    f"tenant {tenant!r} has app.tenant = {got!r}: take the tenant from the "
                    "baggage of the context each span starts in, in every service."
                )


def _check(build_provider) -> str:
    require_function(build_provider, "build_provider", "service, version, endpoints")
    seeded = random.Random(20261130)
    # The tenants are drawn afresh each run: a tagger that counts checkouts and hands out
    # the tenants an earlier run's hints named would pass a fixed draw.
    versions, checkouts = releases(seeded), tenants(random.Random(random.SystemRandom().random()))
    first, second = _received(build_provider, versions, checkouts)
    expected = SPANS_PER_CHECKOUT * len(checkouts)
    for name, got in (("the first", first), ("the second", second)):
        if not got:
            raise NotYet(
                f"{name} receiver got no spans: every endpoint needs its own exporter, behind "
                "a span processor."
            )
        if len(got) != expected:
            raise NotYet(f"{name} receiver got {len(got)} spans, not {expected}.")
    if {r.span_id for r in records(first)} != {r.span_id for r in records(second)}:
        raise NotYet("the two receivers got different spans: both should get every span.")
    _check_resources(first, versions)
    _check_tenants(records(first), checkouts)
    return (
        f"both receivers got all {expected} spans, each with its service's release and "
        "environment on the resource and its request's tenant on the span."
    )


def check_provider(build_provider) -> None:
    """Grade ``build_provider(service, version, endpoints) -> TracerProvider``."""
    run_check(_check, build_provider)
