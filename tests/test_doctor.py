"""The trace doctor: every rule both ways, hand-made OTLP/JSON from other stacks, the real
shop, the command's exit codes and bad input as processes, and secrets never printed."""

from __future__ import annotations

import base64
import contextvars
import gzip
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shopping import checkout

import coursekit as ck
from coursekit.doctor import RULES, Settings, Span, check
from coursekit.doctor.__main__ import main
from coursekit.doctor.rules import template
from coursekit.doctor.secrets import key_kind, mask, value_kinds
from services import start_shop

DATA = Path(__file__).parent / "data" / "doctor"
ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"rule", "severity", "trace_id", "service", "message", "hint"}


def rules_found(report, severity=None) -> set[str]:
    return {f.rule for f in report.findings if severity is None or f.severity == severity}


def doctor_cli(*args, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursekit.doctor", *map(str, args)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


# --- spans made with the real SDK -------------------------------------------------------


class Services:
    """One TracerProvider per service, all exporting to one in-memory exporter."""

    def __init__(self, *names: str) -> None:
        self.exporter = InMemorySpanExporter()
        self.providers = {}
        for name in names:
            provider = TracerProvider(resource=Resource.create({"service.name": name}))
            provider.add_span_processor(SimpleSpanProcessor(self.exporter))
            self.providers[name] = provider

    def tracer(self, name: str):
        return self.providers[name].get_tracer("test")

    def spans(self):
        return self.exporter.get_finished_spans()

    def close(self) -> None:
        for provider in self.providers.values():
            provider.shutdown()


@pytest.fixture
def services():
    made = []

    def make(*names):
        made.append(Services(*names))
        return made[-1]

    yield make
    for s in made:
        s.close()


def http_server_attrs(route, path, status=200, port=8080):
    return {
        "http.request.method": "GET",
        "url.scheme": "http",
        "url.path": path,
        "http.route": route,
        "server.port": port,
        "http.response.status_code": status,
    }


def http_client_attrs(url, port, status=200):
    return {
        "http.request.method": "GET",
        "url.full": url,
        "server.address": "127.0.0.1",
        "server.port": port,
        "http.response.status_code": status,
    }


def call(services, caller, callee, propagate=True, n=1):
    """``n`` requests at ``caller`` that each call ``callee`` over HTTP, with or without
    the trace context reaching the callee."""
    for _ in range(n):
        front = services.tracer(caller)
        back = services.tracer(callee)
        with front.start_as_current_span(
            "GET /a", kind=trace.SpanKind.SERVER, attributes=http_server_attrs("/a", "/a")
        ):
            with front.start_as_current_span(
                "GET",
                kind=trace.SpanKind.CLIENT,
                attributes=http_client_attrs("http://127.0.0.1:9001/b/7", 9001),
            ):
                parent = None if propagate else context.Context()
                with back.start_as_current_span(
                    "GET /b/{id}",
                    context=parent,
                    kind=trace.SpanKind.SERVER,
                    attributes=http_server_attrs("/b/{id}", "/b/7", port=9001),
                ):
                    pass


# --- the rules, both ways ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "good", "rule"),
    [
        ("batch_span_per_row.json", "batch_few_rows.json", "too-many-spans"),
        ("catalog_ids_in_names.json", "catalog_routes.json", "high-cardinality-span-name"),
        ("java_orders_lost_hop.json", "java_orders_clean.json", "broken-propagation"),
        ("go_kafka_lost_message.jsonl", "go_kafka_clean.jsonl", "broken-propagation"),
        ("node_auth_leaky.json", "node_auth_redacted.json", "sensitive-data"),
        ("catalog_ids_in_names.json", "catalog_routes.json", "span-naming"),
        ("catalog_routes.json", "java_orders_clean.json", "deprecated-attribute"),
    ],
)
def test_each_rule_finds_its_fixture_and_not_the_fixed_one(bad, good, rule):
    assert rule in rules_found(ck.doctor(DATA / bad))
    assert rule not in rules_found(ck.doctor(DATA / good))


@pytest.mark.parametrize(
    "name",
    [
        "java_orders_clean.json",
        "go_kafka_clean.jsonl",
        "node_auth_redacted.json",
        "batch_few_rows.json",
    ],
)
def test_clean_realistic_traces_have_no_findings(name):
    report = ck.doctor(DATA / name)
    assert report.findings == [], str(report)
    assert report.exit_code == 0


def test_too_many_spans_threshold_makes_it_an_error():
    report = ck.doctor(DATA / "batch_span_per_row.json")
    (loop,) = report.by_rule("too-many-spans")
    assert (
        loop.severity == "warning" and "30 child spans named `INSERT shop.prices`" in loop.message
    )
    assert loop.trace_id is not None  # one trace: it is named
    strict = ck.doctor(DATA / "batch_span_per_row.json", max_spans_per_trace=20)
    assert {f.severity for f in strict.by_rule("too-many-spans")} == {"error", "warning"}
    assert strict.exit_code == 1
    assert ck.doctor(DATA / "batch_span_per_row.json", max_repeated_spans=30).findings == []


def test_high_cardinality_names_the_template_not_every_name():
    report = ck.doctor(DATA / "catalog_ids_in_names.json")
    (finding,) = report.by_rule("high-cardinality-span-name")
    assert finding.severity == "error" and finding.service == "catalog"
    assert "12 distinct span names of the form `GET /products/{id}`" in finding.message
    assert finding.trace_id is None and finding.count == 12  # about many traces
    assert (
        ck.doctor(DATA / "catalog_ids_in_names.json", max_names_per_template=12).by_rule(
            "high-cardinality-span-name"
        )
        == []
    )
    assert template("GET /orders/81734") == "GET /orders/{id}"
    assert template("GET /users/3f2b6c1e-8a9d-4e7f-b1c2-d3e4f5a6b7c8") == "GET /users/{id}"
    assert template("notify alice@example.com") == "notify {email}"


def test_many_names_without_ids_is_a_warning():
    spans = [
        Span(f"{n:032x}", f"{n:016x}", None, f"op-{chr(97 + n % 26)}{chr(97 + n // 26)}", "api")
        for n in range(150)
    ]
    (finding,) = check(spans).by_rule("high-cardinality-span-name")
    assert finding.severity == "warning" and "150 distinct span names" in finding.message


def test_broken_hop_names_both_services_and_both_traces():
    report = ck.doctor(DATA / "java_orders_lost_hop.json")
    (finding,) = report.by_rule("broken-propagation")
    assert finding.severity == "error" and finding.service == "order-service"
    assert "`inventory-service`" in finding.message and "GET /stock/{sku}" in finding.message
    # The finding belongs to the caller's trace; the message names the new one.
    lost = json.loads((DATA / "java_orders_lost_hop.json").read_text())
    inventory = lost["resourceSpans"][2]["scopeSpans"][0]["spans"]
    new_trace = next(s["traceId"] for s in inventory if not s["parentSpanId"])
    assert new_trace in finding.message and finding.trace_id != new_trace


def test_outside_dependency_with_no_server_span_is_not_broken_propagation():
    # The Java fixture's order service calls Stripe (no server span comes back), and
    # another customer's request reaches the gateway during that call.
    report = ck.doctor(DATA / "java_orders_clean.json")
    assert report.by_rule("broken-propagation") == []


def test_broken_propagation_with_real_sdk_spans(services):
    shop = services("front", "back")
    call(shop, "front", "back", propagate=True, n=3)
    assert ck.doctor(shop.spans()).by_rule("broken-propagation") == []
    call(shop, "front", "back", propagate=False, n=2)
    findings = ck.doctor(shop.spans()).by_rule("broken-propagation")
    assert [(f.severity, f.service, f.count) for f in findings] == [("error", "front", 2)]
    assert findings[0].trace_id is None and len(findings[0].examples) == 2


def test_a_trace_that_starts_at_a_normally_called_service(services):
    shop = services("front", "back")
    call(shop, "front", "back", n=4)
    back = shop.tracer("back")
    with back.start_as_current_span(
        "GET /b/{id}", kind=trace.SpanKind.SERVER, attributes=http_server_attrs("/b/{id}", "/b/9")
    ):
        pass  # nobody's client span covers it: its caller is unknown, but it has one
    findings = ck.doctor(shop.spans()).by_rule("broken-propagation")
    assert len(findings) == 1 and findings[0].service == "back"
    assert (
        "a service other services call (4 calls arrived with their context)" in findings[0].message
    )


def test_a_thread_that_loses_the_context_and_one_that_keeps_it(services):
    shop = services("worker")
    tracer = shop.tracer("worker")

    def job():
        with tracer.start_as_current_span("send receipt"):
            pass

    for keep in (True, False):
        shop.exporter.clear()
        for _ in range(3):
            with tracer.start_as_current_span(
                "POST /orders",
                kind=trace.SpanKind.SERVER,
                attributes=http_server_attrs("/orders", "/orders"),
            ):
                target = contextvars.copy_context().run if keep else (lambda f: f())
                thread = threading.Thread(target=target, args=(job,))
                thread.start()
                thread.join()
        findings = ck.doctor(shop.spans()).by_rule("broken-propagation")
        if keep:
            assert findings == []
        else:
            assert len(findings) == 1 and findings[0].severity == "error"
            assert (
                "`send receipt`" in findings[0].message
                and "(every one of them)" in findings[0].message
            )


def test_a_producer_whose_message_is_received_with_a_link_is_fine():
    report = ck.doctor(DATA / "go_kafka_lost_message.jsonl")
    (finding,) = report.by_rule("broken-propagation")
    assert "`checkout` sent to `orders`" in finding.message and "`shipping`" in finding.message
    document = [
        json.loads(line) for line in (DATA / "go_kafka_lost_message.jsonl").read_text().splitlines()
    ]
    shipping = document[2]["resourceSpans"][0]["scopeSpans"][0]["spans"]
    root = next(s for s in shipping if not s["parentSpanId"])
    producer = document[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][-1]
    root["links"] = [{"traceId": producer["traceId"], "spanId": producer["spanId"]}]
    from coursekit.doctor.load import from_document

    spans = [s for i, d in enumerate(document) for s in (from_document(d, f"line {i}") or [])]
    assert check(spans).by_rule("broken-propagation") == []


# --- sensitive data ---------------------------------------------------------------------

LEAKED = [
    "Tr0ub4dor",
    "4111 1111 1111 1111",
    "5555555555554444",
    "alice.smith",
    "bob@example.org",
    "eyJhbGciOiJIUzI1NiIs",
    "sk_live_51HqZ2b",
    "S3cr3tPassw0rd",
    "9f8e7d6c5b4a3210",
]


def test_every_kind_of_secret_is_found_by_key_and_by_value():
    report = ck.doctor(DATA / "node_auth_leaky.json")
    found = [f.message.split(" holds ") for f in report.by_rule("sensitive-data")]
    kinds = " | ".join(f"{where} -> {kind}" for where, kind in found)
    for where, kind in [
        ("span attribute `app.login.password`", "a password"),
        ("span attribute `http.request.header.authorization`", "a bearer token (a JWT)"),
        ("span attribute `app.user.email`", "an e-mail address"),
        ("span attribute `url.full`", "a secret in a key=value pair"),
        ("attribute `message` of event `log`", "a card number (Luhn-valid)"),
        ("attribute `message` of event `log`", "an e-mail address"),
        ("attribute `payment.card_number` of event `payment`", "a card number (Luhn-valid)"),
        ("resource attribute `process.command_args`", "a password in a URL"),
        ("resource attribute `app.stripe.key`", "an API key"),
    ]:
        assert any(w.startswith(where) and k.startswith(kind) for w, k in found), (
            where,
            kind,
            kinds,
        )
    assert {f.severity for f in report.by_rule("sensitive-data")} == {"error"}


@pytest.mark.slow  # a real process: the command as a user runs it
def test_no_finding_ever_prints_the_secret(capsys):
    planted = (DATA / "node_auth_leaky.json").read_text()
    assert all(secret in planted for secret in LEAKED)  # so that their absence means something
    report = ck.doctor(DATA / "node_auth_leaky.json")
    result = doctor_cli(DATA / "node_auth_leaky.json", "--json")
    assert main([str(DATA / "node_auth_leaky.json")]) == 1
    printed = capsys.readouterr().out
    for shown in (
        report.to_json(),
        str(report),
        report._repr_html_(),
        result.stdout.decode(),
        printed,
    ):
        for secret in LEAKED:
            assert secret not in shown, secret


def test_secrets_in_span_names_and_sdk_attributes_are_masked(services):
    shop = services("api")
    tracer = shop.tracer("api")
    with tracer.start_as_current_span("reset password for carol@example.net") as span:
        span.set_attribute("db.query.text", "UPDATE users SET password='hunter22' WHERE id=1")
        span.add_event("retry", {"auth": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"})
        span.set_attribute("x-api-key", "AKIAIOSFODNN7EXAMPLE")
    for source in (shop.spans(), ck.records(shop.spans())):
        report = ck.doctor(source)
        messages = " ".join(f.message for f in report.by_rule("sensitive-data"))
        assert "the span name `reset password for [redacted]` holds an e-mail address" in messages
        assert "a secret in a key=value pair" in messages and "HTTP basic credentials" in messages
        assert "span attribute `x-api-key`" in messages
        for secret in ("carol@", "hunter22", "YWxhZGRpbjpvcGVuc2VzYW1l", "AKIAIOSFODNN7"):
            assert secret not in report.to_json() and secret not in str(report)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "1234567812345670",  # passes Luhn, but no card network starts with 1
        "1732960800123456789",  # a timestamp in nanoseconds
        "3c1b9a2e-5d4f-4e6a-9b8c-7d6e5f4a3b2c",
        "POST https://api.example.com/v1/orders?page=2",
        "SELECT * FROM users WHERE email = $1 AND password = ?",
        "Bearer [REDACTED]",
        "****1111",
        "python-requests/2.34.2",
    ],
)
def test_innocent_values_are_not_secrets(text):
    assert value_kinds(text) == ()


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("app.user.password", "a password"),
        ("http.request.header.authorization", "credentials (an Authorization header)"),
        ("http.request.header.cookie", "a session cookie"),
        ("apiKey", "an API key"),
        ("client_secret", "a secret"),
        ("refresh_token", "a token"),
        ("payment.card_number", "a card number"),
        ("gen_ai.usage.input_tokens", None),
        ("app.auth.token_type", None),
        ("password.length", None),
        ("session.id", None),
        ("aws.secretsmanager.secret.arn", None),
        ("oauth.token_url", None),
        ("http.request.header.x-csrf-token", "a token"),
    ],
)
def test_keys_that_name_a_secret(key, kind):
    assert key_kind(key) == kind


def test_redacted_values_under_secret_keys_pass():
    spans = [
        Span("a" * 32, "b" * 16, None, "login", "auth", attributes={"user.password": v})
        for v in ("***", "[REDACTED]", "")
    ]
    assert check(spans).by_rule("sensitive-data") == []
    assert mask("mail bob@example.org now") == "mail [redacted] now"


# --- semantic conventions ---------------------------------------------------------------


def test_required_attributes_and_naming_on_sdk_spans(services):
    shop = services("api")
    tracer = shop.tracer("api")
    server = {
        "http.request.method": "GET",
        "url.path": "/items/4",
        "url.scheme": "http",
        "http.route": "/items/{id}",
    }
    with tracer.start_as_current_span(
        "handle_items", kind=trace.SpanKind.SERVER, attributes=server
    ):
        pass  # no status code, and a name that is not `GET /items/{id}`
    with tracer.start_as_current_span(
        "GET /items/{id}",
        kind=trace.SpanKind.SERVER,
        attributes={**server, "error.type": "timeout"},
    ):
        pass  # failed before a response: no status code is fine
    with tracer.start_as_current_span(
        "SELECT shop.items WHERE id = 4",
        kind=trace.SpanKind.CLIENT,
        attributes={"db.system.name": "sqlite"},
    ):
        pass
    report = ck.doctor(shop.spans())
    required = report.by_rule("required-attributes")
    assert [f.message for f in required] == [
        "HTTP server spans lack `http.response.status_code`, which the semantic conventions require"
    ]
    naming = sorted(f.message for f in report.by_rule("span-naming"))
    assert naming == [
        "HTTP server span `handle_items` should be named `GET /items/{id}`",
        "database client span `SELECT shop.items WHERE id = {id}` should be named "
        "`{db.operation.name} {db.collection.name}`",
    ]
    assert {f.severity for f in report.findings} == {"warning"}


def test_deprecated_names_and_an_unnamed_service():
    spans = [
        Span(
            "c" * 32,
            "d" * 16,
            None,
            "GET",
            "unknown_service:python",
            "client",
            resource={},
            attributes={
                "http.method": "GET",
                "http.url": "http://x:80/",
                "http.status_code": 200,
                "peer.service": "x",
            },
        ),
    ]
    report = check(spans)
    deprecated = sorted(f.message for f in report.by_rule("deprecated-attribute"))
    assert deprecated[0].startswith(
        "deprecated HTTP and network attribute names: `http.method` (now `http.request.method`)"
    )
    assert deprecated[1] == "deprecated attribute name `peer.service` (now `service.peer.name`)"
    assert "no `service.name`" in report.by_rule("required-attributes")[0].message
    # Deprecated names stand in for the stable ones: no second finding for the same thing.
    assert all(
        "http.request.method" not in f.message for f in report.by_rule("required-attributes")
    )


# --- blocking export --------------------------------------------------------------------


class SlowBackendExporter(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS


class RedactingProcessor(SpanProcessor):
    """A processor that wraps the one that exports, as a redacting processor does."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_end(self, span) -> None:
        self._inner.on_end(span)

    def shutdown(self) -> None:
        self._inner.shutdown()


def test_blocking_export_from_live_providers():
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    made = []

    def provider(processor):
        p = TracerProvider(resource=Resource.create({"service.name": "shop-api"}))
        p.add_span_processor(processor)
        made.append(p)
        return p

    try:
        otlp = OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces")
        cases = {
            "error": provider(SimpleSpanProcessor(otlp)),
            "warning": provider(RedactingProcessor(SimpleSpanProcessor(SlowBackendExporter()))),
            "info": provider(SimpleSpanProcessor(ConsoleSpanExporter(out=open("/dev/null", "w")))),  # noqa: SIM115
            None: provider(
                BatchSpanProcessor(OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces"))
            ),
            "none either": provider(SimpleSpanProcessor(InMemorySpanExporter())),
        }
        for severity, p in cases.items():
            findings = ck.doctor([], tracer_provider=p).by_rule("blocking-export")
            if severity in ("error", "warning", "info"):
                assert [f.severity for f in findings] == [severity]
                assert findings[0].service == "shop-api" and findings[0].trace_id is None
            else:
                assert findings == []
        assert (
            "OTLPSpanExporter" in ck.doctor([], tracer_provider=cases["error"]).findings[0].message
        )
    finally:
        for p in made:
            p.shutdown()


@pytest.mark.slow  # a real process: the command as a user runs it
def test_blocking_export_from_the_environment(tmp_path):
    simple = tmp_path / "otel.yaml"
    simple.write_text(
        "file_format: '0.4'\ntracer_provider:\n  processors:\n"
        "    - simple:\n        exporter:\n          otlp_http:\n            endpoint: http://collector:4318/v1/traces\n"
    )
    batch = tmp_path / "batch.yaml"
    batch.write_text(simple.read_text().replace("simple:", "batch:"))
    found = ck.doctor(
        [], environ={"OTEL_CONFIG_FILE": str(simple), "OTEL_SERVICE_NAME": "api"}
    ).findings
    assert [(f.rule, f.severity, f.service) for f in found] == [("blocking-export", "error", "api")]
    assert ck.doctor([], environ={"OTEL_EXPERIMENTAL_CONFIG_FILE": str(batch)}).findings == []
    assert ck.doctor([], environ={"OTEL_TRACES_EXPORTER": "otlp"}).findings == []
    env = tmp_path / "service.env"
    env.write_text(
        f"# the service's environment\nexport OTEL_CONFIG_FILE={simple}\n"
        "OTEL_TRACES_EXPORTER=otlp\n"
    )
    result = doctor_cli("--env-file", env, "--json")
    assert result.returncode == 1 and json.loads(result.stdout)[0]["rule"] == "blocking-export"
    assert main(["--otel-config", str(batch)]) == 0


# --- the shop -----------------------------------------------------------------------------


def test_the_real_shop_has_no_errors_only_its_known_warnings(shop):
    for _ in range(4):
        assert checkout(shop).status_code == 200
    report = ck.doctor(shop.spans())
    assert report.errors == [], str(report)
    # Known: the shop's instrumentations emit the old HTTP names (OTEL_SEMCONV_STABILITY_OPT_IN
    # is not set), and payment's provider call carries `peer.service`.
    assert rules_found(report) <= {"deprecated-attribute"}
    assert ck.doctor(ck.records(shop.spans())).errors == []


def test_the_shops_planted_propagation_bugs_are_found():
    with start_shop(checkout_drops_context=True) as shop:
        for _ in range(3):
            checkout(shop)
        findings = ck.doctor(shop.spans()).by_rule("broken-propagation")
    assert {(f.service, f.severity) for f in findings} == {("checkout", "error")}
    assert {"`inventory`" in f.message or "`payment`" in f.message for f in findings} == {True}
    with start_shop(warehouses=3) as shop:
        for _ in range(3):
            checkout(shop)
        findings = ck.doctor(shop.spans()).by_rule("broken-propagation")
    assert [(f.service, f.severity) for f in findings] == [("inventory", "error")]


# --- the notebook function --------------------------------------------------------------


def test_doctor_takes_records_spans_paths_exporters_and_mixes(services):
    shop = services("front", "back")
    call(shop, "front", "back", n=2)
    sources = [
        shop.spans(),
        ck.records(shop.spans()),
        shop.exporter,
        DATA / "java_orders_clean.json",
        str(DATA / "go_kafka_clean.jsonl"),
        [*shop.spans(), DATA / "batch_few_rows.json"],
    ]
    counts = [ck.doctor(source).span_count for source in sources]
    assert counts == [6, 6, 6, 23, 18, 12]
    with pytest.raises(TypeError, match="not int"):
        ck.doctor(42)
    with pytest.raises(ValueError, match="unknown rule nope"):
        ck.doctor([], disable=["nope"])


def test_the_sdks_own_otlp_encoding_reads_back_the_same(services, tmp_path):
    """SDK spans -> the OTLP exporter's encoder -> protobuf's JSON (ids made hex, as OTLP/JSON
    wants) -> a file: the doctor finds the same as on the SDK spans themselves."""
    from google.protobuf import json_format
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    shop = services("front", "back")
    call(shop, "front", "back", propagate=False, n=2)
    with shop.tracer("back").start_as_current_span("GET /b/{id}") as span:
        span.add_event("audit", {"user.email": "dave@example.com"})
    request = encode_spans(shop.spans())
    document = json_format.MessageToDict(request)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for s in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in s:
                        s[key] = base64.b64decode(s[key]).hex()
    path = tmp_path / "encoded.json"
    path.write_text(json.dumps(document))
    direct = ck.doctor(shop.spans())
    assert direct.rules() == {"broken-propagation", "sensitive-data"}
    for other in (ck.doctor(request), ck.doctor(path)):
        assert other.to_json() == direct.to_json()


def test_report_reads_well_in_a_notebook_and_as_text():
    report = ck.doctor(DATA / "catalog_ids_in_names.json", disable="deprecated-attribute")
    html = report._repr_html_()
    assert "<table" in html and "high-cardinality-span-name" in html and "{id}" in html
    text = str(report)
    assert (
        text.splitlines()[0] == "12 spans in 12 traces from 1 service: 1 error, 1 warning, 0 infos"
    )
    assert "hint: " in text
    assert report.exit_code == 1 and len(report.errors) == 1 and len(report.warnings) == 1
    assert "No findings" in ck.doctor(DATA / "java_orders_clean.json")._repr_html_()
    assert set(RULES) >= report.rules()


# --- the command --------------------------------------------------------------------------


@pytest.mark.slow  # a real process: the command as a user runs it
def test_command_exit_codes_and_json_fields(capsys):
    clean = doctor_cli(DATA / "java_orders_clean.json", "--json")
    assert clean.returncode == 0 and json.loads(clean.stdout) == []
    bad = doctor_cli(
        DATA / "catalog_ids_in_names.json", DATA / "java_orders_lost_hop.json", "--json"
    )
    assert bad.returncode == 1, bad.stderr
    findings = json.loads(bad.stdout)
    assert {f["rule"] for f in findings} >= {"high-cardinality-span-name", "broken-propagation"}
    for f in findings:
        assert FIELDS <= set(f) and f["severity"] in ("error", "warning", "info")
        assert f["trace_id"] is None or len(f["trace_id"]) == 32
        assert f["message"] and f["hint"] and f["service"]
    many = next(f for f in findings if f["rule"] == "high-cardinality-span-name")
    assert many["trace_id"] is None  # about many traces
    one = next(f for f in findings if f["rule"] == "broken-propagation")
    assert one["trace_id"] is not None
    code, out, _ = doctor_main(capsys, DATA / "catalog_ids_in_names.json")
    assert code == 1 and "error   high-cardinality-span-name" in out
    off = "--disable", "high-cardinality-span-name"
    assert doctor_main(capsys, DATA / "catalog_ids_in_names.json", *off)[0] == 0
    higher = "--max-names-per-template", "20"
    assert doctor_main(capsys, DATA / "catalog_ids_in_names.json", *higher)[0] == 0


def doctor_main(capsys, *args) -> tuple[int, str, str]:
    """The command in this process (quicker than a process, same code from argv on)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow  # a real process: the command as a user runs it
def test_command_reads_stdin_gzip_and_collector_lines(tmp_path, capsys):
    data = (DATA / "go_kafka_lost_message.jsonl").read_bytes()
    assert doctor_cli("-", stdin=data).returncode == 1
    packed = tmp_path / "spans.jsonl.gz"
    packed.write_bytes(gzip.compress(data))
    code, out, _ = doctor_main(capsys, packed, "--json")
    assert code == 1 and json.loads(out)[0]["rule"] == "broken-propagation"
    # OTLP/JSON as protobuf's own JSON writes it: enum names, not numbers.
    clean = (DATA / "java_orders_clean.json").read_text()
    named = clean.replace('"kind": 2', '"kind": "SPAN_KIND_SERVER"')
    assert named != clean
    (tmp_path / "named.json").write_text(named)
    assert doctor_main(capsys, tmp_path / "named.json")[0] == 0


BAD_INPUT = {
    "missing.json": (None, "no such file"),
    "not_json.json": ("{resourceSpans: [", "not JSON (line 1, column 2"),
    "jaeger.json": (
        '{"data": [{"traceID": "ab", "spans": [], "processes": {}}]}',
        "Jaeger's own JSON",
    ),
    "a_list.json": ("[1, 2]", "not OTLP traces: a list"),
    "other.json": ('{"name": "x"}', "no resourceSpans"),
    "empty.json": ("  \n", "is empty"),
    "bad_id.json": (
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
        "traceId 'zz' is not hex",
    ),
    "bad_type.json": (
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}',
        "not valid OTLP/JSON",
    ),
    "bad_shape.json": ('{"resourceSpans": 5}', "`resourceSpans` must be a list"),
    "bad_line.jsonl": ('{"resourceSpans": []}\n{"resourceSpans": [\n', "not JSON (line 2"),
    "only_logs.jsonl": ('{"resourceLogs": []}\n', "no traces"),
    "binary.pb": (b"\x0a\x8f\xff\xfe", "not UTF-8"),
}
BAD_FLAGS = [
    ([], "name at least one OTLP/JSON file"),
    (["--max-spans-per-trace", "0", "x"], "must be at least 1"),
    (["--max-names-per-service", "many", "x"], "not a whole number"),
    (["--disable", "nope", "x"], "no rule 'nope'"),
    (["--frobnicate", "x"], "unrecognized arguments: --frobnicate"),
]


def write_bad(tmp_path, name) -> Path:
    content, _ = BAD_INPUT[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def one_clear_line(err: str, expected: str) -> None:
    assert err.count("\n") == 1 and err.startswith("doctor: ") and expected in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [["missing.json"], ["not_json.json"], ["jaeger.json"], ["--frobnicate", "x"]],
    ids=["missing file", "bad JSON", "not OTLP", "bad flag"],
)
@pytest.mark.slow  # a real process: the command as a user runs it
def test_command_process_refuses_bad_input_in_one_line(tmp_path, args):
    if args[0] in BAD_INPUT:
        expected = BAD_INPUT[args[0]][1]
        args = [write_bad(tmp_path, args[0])]
    else:
        expected = dict((tuple(a), e) for a, e in BAD_FLAGS)[tuple(args)]
    result = doctor_cli(*args)
    assert result.returncode == 2 and result.stdout == b""
    one_clear_line(result.stderr.decode(), expected)


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_command_refuses_every_bad_input_in_one_line(tmp_path, capsys, name):
    code, out, err = doctor_main(capsys, write_bad(tmp_path, name))
    assert code == 2 and out == ""
    one_clear_line(err, BAD_INPUT[name][1])


@pytest.mark.parametrize(("args", "expected"), BAD_FLAGS)
def test_command_refuses_bad_flags_in_one_line(capsys, args, expected):
    code, _, err = doctor_main(capsys, *args)
    assert code == 2
    one_clear_line(err, expected)


def test_help_documents_every_rule_and_threshold(capsys):
    code, out, _ = doctor_main(capsys, "--help")
    assert code == 0
    for rule in RULES:
        assert rule in out
    flat = " ".join(out.split())
    for flag, default in [
        ("--max-spans-per-trace", 500),
        ("--max-repeated-spans", 20),
        ("--max-names-per-template", 10),
        ("--max-names-per-service", 100),
    ]:
        assert flag in out and f"(default {default})" in flat
    docs = " ".join(sys.modules["coursekit.doctor"].__doc__.split())
    for name, value in Settings().__dict__.items():
        if name != "disabled":
            assert f"``{name}`` (default {value})" in docs, name


def test_the_doctor_converts_ids_with_the_receivers_function():
    import base64

    from coursekit.doctor import load
    from services.backend import otlp

    assert load.id_to_base64 is otlp.id_to_base64
    assert base64.b64decode(otlp.id_to_base64("00f067aa0ba902b7")).hex() == "00f067aa0ba902b7"
