"""Exercise 03 (two backends, a release and a tenant): its catalogue of answers."""

from __future__ import annotations

import pytest

from coursekit.checks import ex03
from tests.graders.catalogue import assert_catalogue, grade, learner

PRELUDE = """
from opentelemetry import baggage
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
"""

TAGGER = """
class TenantTagger(SpanProcessor):
    def on_start(self, span, parent_context=None):
        tenant = baggage.get_baggage("app.tenant", parent_context)
        if tenant is not None:
            span.set_attribute("app.tenant", tenant)
"""
BUILD = """
def build_provider(service, version, endpoints):
    resource = Resource.create({"service.name": service, "service.version": version,
                                "deployment.environment.name": "workshop"})
    provider = TracerProvider(resource=resource)
    for endpoint in endpoints:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    provider.add_span_processor(TenantTagger())
    return provider
"""


def answer(source: str):
    return learner(source, "build_provider", prelude=PRELUDE)


RIGHT = {
    "the solution": TAGGER + BUILD,
    "tagger first, the current context, constants for the keys": """
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION

class Tenant(SpanProcessor):
    def on_start(self, span, parent_context=None):
        value = baggage.get_all(parent_context).get("app.tenant")
        if value:
            span.set_attribute("app.tenant", value)

def build_provider(service, version, endpoints):
    provider = TracerProvider(resource=Resource({SERVICE_NAME: service, SERVICE_VERSION: version,
                                                 "deployment.environment.name": "workshop"}))
    provider.add_span_processor(Tenant())
    exporters = [OTLPSpanExporter(endpoint=e) for e in endpoints]
    for processor in map(BatchSpanProcessor, exporters):
        provider.add_span_processor(processor)
    return provider
""",
    "a configurable copier and merged resources": """
class CopyBaggage(SpanProcessor):
    def __init__(self, *keys):
        self.keys = keys

    def on_start(self, span, parent_context=None):
        entries = baggage.get_all(parent_context)
        span.set_attributes({k: v for k, v in entries.items() if k in self.keys})

def build_provider(service, version, endpoints):
    resource = Resource.create({"service.name": service}).merge(
        Resource({"service.version": version, "deployment.environment.name": "workshop"}))
    provider = TracerProvider(resource=resource)
    for endpoint in reversed(endpoints):
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint)))
        provider.add_span_processor(CopyBaggage("app.tenant"))
    return provider
""",
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = grade(ex03._check, answer(RIGHT[name]))
    assert outcome.passed, outcome.message


def tagger(body: str) -> str:
    return ("class TenantTagger(SpanProcessor):\n"
            "    def on_start(self, span, parent_context=None):\n" + body)  # fmt: skip


GET = '        tenant = baggage.get_baggage("app.tenant", parent_context)\n'

WRONG = {
    "unsolved": ("def build_provider(service, version, endpoints):\n    ...",
                 "build_provider returned None"),
    "one endpoint only": (TAGGER + BUILD.replace("in endpoints", "in endpoints[:1]"),
                          "the second receiver got no spans"),
    "no tagger": (TAGGER + BUILD.replace("provider.add_span_processor(TenantTagger())", ""),
                  "has app.tenant = None: take the tenant from the baggage"),
    "the release as a span attribute, set by a processor": (
        TAGGER.replace('span.set_attribute("app.tenant", tenant)',
                       'span.set_attribute("app.tenant", tenant)\n'
                       '        span.set_attribute("service.version", "x")')
        + BUILD.replace('"service.version": version,', ""),
        "It is a span attribute: a release is a fact about the process"),
    "the release under a name of its own": (
        TAGGER + BUILD.replace('"service.version": version', '"app.release": version'),
        "says service.version = None: use the version argument."),
    "no environment": (TAGGER + BUILD.replace(',\n                                "deployment'
                                              '.environment.name": "workshop"', ""),
                       "deployment.environment.name = 'workshop'"),
    "hard-coded service name": (TAGGER + BUILD.replace('"service.name": service',
                                                       '"service.name": "shop"'),
                                "name the services ['shop']"),
    "a tagger that raises": (tagger('        raise ValueError("no tenant today")\n') + BUILD,
                             "answered [500, 500, 500, 500]"),
    "every baggage entry copied": (
        tagger("        span.set_attributes(dict(baggage.get_all(parent_context)))\n") + BUILD,
        "copy only app.tenant"),
    "a tenant 'None' when there is none": (
        tagger(GET + '        span.set_attribute("app.tenant", str(tenant))\n') + BUILD,
        "a checkout sent with no tenant has spans with app.tenant = 'None'"),
    "one provider for the whole shop": (TAGGER + BUILD.replace(
        "def build_provider(service, version, endpoints):\n",
        "MADE = {}\n\ndef build_provider(service, version, endpoints):\n"
        "    if MADE:\n        return MADE['one']\n").replace(
        "    return provider", "    MADE['one'] = provider\n    return provider"),
        "name the services ['frontend']"),
    "the tenant set even when there is none": (
        tagger(GET + '        span.set_attribute("app.tenant", tenant)\n') + BUILD,
        "a checkout sent with no tenant has spans with app.tenant = None"),
    # Cheats: right-looking output by the wrong means.
    "cheat: the tenant of the example, hard-coded": (
        tagger('        span.set_attribute("app.tenant", "acme")\n') + BUILD,
        "has app.tenant = 'acme': take the tenant from the baggage"),
    "cheat: tenants handed out by counting checkouts, as earlier hints named them": ("""
SEEN = []
# learnt from the hints of earlier runs (the last one a guess: the check never got that far)
TENANTS = ["globex", None, "stark-eu", "initrode"]

class TenantTagger(SpanProcessor):
    def on_start(self, span, parent_context=None):
        if span.context.trace_id not in SEEN:
            SEEN.append(span.context.trace_id)
        tenant = TENANTS[SEEN.index(span.context.trace_id) % len(TENANTS)]
        if tenant:
            span.set_attribute("app.tenant", tenant)
""" + BUILD, "take the tenant from the baggage of the context each span starts in"),
    "cheat: a release hard-coded": (TAGGER + BUILD.replace(
        '"service.version": version', '"service.version": "2026.11"'),
        "says service.version = '2026.11'"),
    "cheat: one release for the whole shop, from the first call": (TAGGER + """
RELEASE = []

def build_provider(service, version, endpoints):
    RELEASE.append(version)
    resource = Resource.create({"service.name": service, "service.version": RELEASE[0],
                                "deployment.environment.name": "workshop"})
    provider = TracerProvider(resource=resource)
    for endpoint in endpoints:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    provider.add_span_processor(TenantTagger())
    return provider
""", "service runs release"),
    "cheat: the check's tenant test switched off": (BUILD.replace(
        "    provider.add_span_processor(TenantTagger())\n",
        "    import coursekit.checks.ex03 as grader\n"
        "    grader._check_tenants = lambda *args: None\n"),
        "coursekit.checks.ex03._check_tenants"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, lambda source: grade(ex03._check, answer(source)))


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("03") == notebook_runs.stored_output("03")
    assert "✘ not yet: build_provider returned None" in notebook_runs.check_output("03", "exercise")
