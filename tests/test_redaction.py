"""Collector processors in the receiver: the redaction processor's meaning, the attributes
processor, pipeline order, the shipped redaction policy against 10,000 generated secrets,
and ``scrub`` leaving no trace of a removed value in the store's files."""

from __future__ import annotations

import base64
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

import coursekit as ck
from services.backend.processors import MASK, Attributes, ConfigError, Pipeline, Redaction
from services.backend.receiver import ReceivedSpan, Receiver
from services.backend.store import SpanStore, to_any_value

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "docker" / "otel-collector-redaction.yaml"


def received(attributes: dict, name: str = "op", resource: dict | None = None) -> ReceivedSpan:
    span = SpanProto(trace_id=b"\1" * 16, span_id=b"\2" * 8, name=name)
    for key, value in attributes.items():
        span.attributes.add(key=key).value.CopyFrom(to_any_value(value))
    return ReceivedSpan(resource or {"service.name": "shop"}, "test", span)


def attrs(span: ReceivedSpan) -> dict:
    return ck.records([span])[0].attributes


# -- the redaction processor's meaning -------------------------------------------------


def test_an_empty_allowed_keys_list_fails_closed():
    out, changed = Redaction({})(received({"a": "1", "b": 2}))
    assert attrs(out) == {} and changed == 2


def test_allowed_keys_keep_their_attributes_and_remove_the_rest():
    out, _ = Redaction({"allowed_keys": ["keep"], "summary": "debug"})(
        received({"keep": "x", "drop": "y", "gone": "z"})
    )
    assert attrs(out) == {
        "keep": "x",
        "redaction.redacted.keys": "drop,gone",
        "redaction.redacted.count": 2,
    }


def test_blocked_values_mask_the_matching_part_and_allowed_values_win():
    redaction = Redaction({"allow_all_keys": True, "blocked_values": [r"\d{4}-\d{4}"],
                           "allowed_values": [r"@example\.com"], "summary": "info"})  # fmt: skip
    out, changed = redaction(
        received({"note": "card 1234-5678 ok", "mail": "1234-5678@example.com"})
    )
    assert attrs(out) == {"note": f"card {MASK} ok", "mail": "1234-5678@example.com",
                          "redaction.masked.count": 1}  # fmt: skip
    assert changed == 1


def test_ignored_keys_are_never_removed_or_masked_and_are_counted():
    redaction = Redaction({"allowed_keys": [], "ignored_keys": ["safe"],
                           "blocked_values": ["secret"], "summary": "debug"})  # fmt: skip
    out, _ = redaction(received({"safe": "secret", "other": "x"}))
    assert attrs(out) == {"safe": "secret", "redaction.redacted.keys": "other",
                          "redaction.redacted.count": 1, "redaction.ignored.count": 1}  # fmt: skip


def test_blocked_key_patterns_mask_the_whole_value_and_hash_function_hashes():
    redaction = Redaction({"allow_all_keys": True, "blocked_key_patterns": [".*password.*"],
                           "blocked_values": ["[0-9]{4}"], "hash_function": "md5"})  # fmt: skip
    out, _ = redaction(received({"db.password": "hunter2", "pin": "pin 1234", "n": 1234}))
    import hashlib

    assert attrs(out) == {"db.password": hashlib.md5(b"hunter2").hexdigest(),
                          "pin": "pin " + hashlib.md5(b"1234").hexdigest(), "n": 1234}  # fmt: skip


def test_silent_adds_no_audit_attributes_and_bad_settings_are_refused():
    out, _ = Redaction({"allowed_keys": ["a"], "summary": "silent"})(received({"a": 1, "b": 2}))
    assert attrs(out) == {"a": 1}
    with pytest.raises(ConfigError, match="hash_function"):
        Redaction({"hash_function": "rot13"})
    with pytest.raises(ConfigError, match="bad regular expression"):
        Redaction({"blocked_values": ["("]})


def test_beyond_the_collector_names_events_status_and_resources_are_redacted():
    redaction = Redaction({"allow_all_keys": True, "blocked_values": ["bob@example.com"],
                           "blocked_key_patterns": ["owner"]})  # fmt: skip
    span = received({}, name="lookup bob@example.com", resource={"service.name": "s", "owner": "x"})
    event = span.otlp_span.events.add(name="exception")
    event.attributes.add(key="exception.message").value.string_value = "no user bob@example.com"
    span.otlp_span.status.message = "bob@example.com not found"
    out, changed = redaction(span)
    record = ck.records([out])[0]
    assert record.name == f"lookup {MASK}" and record.status_message == f"{MASK} not found"
    assert record.events == (("exception", {"exception.message": f"no user {MASK}"}),)
    assert out.resource == {"service.name": "s", "owner": MASK} and changed == 4


def test_the_attributes_processor_deletes_and_hashes_by_key_or_pattern():
    processor = Attributes({"actions": [{"key": "user.id", "action": "hash"},
                                        {"pattern": "^tmp\\..*", "action": "delete"}]})  # fmt: skip
    out, changed = processor(received({"user.id": "42", "tmp.a": 1, "tmp.b": 2, "keep": 3}))
    import hashlib

    assert attrs(out) == {"user.id": hashlib.sha256(b"42").hexdigest(), "keep": 3}
    assert changed == 3
    with pytest.raises(ConfigError, match="'upsert'"):
        Attributes({"actions": [{"key": "a", "action": "upsert", "value": 1}]})


def config(processors: dict, order: list[str]) -> dict:
    traces = {"receivers": ["otlp"], "processors": order}
    return {"processors": processors, "service": {"pipelines": {"traces": traces}}}


def test_processors_run_in_the_pipelines_order_and_unknown_ones_stop_start_up():
    processors = {"attributes/hash": {"actions": [{"key": "k", "action": "hash"}]},
                  "redaction": {"allowed_keys": ["k"], "blocked_values": ["^secret$"]},
                  "batch": {}, "memory_limiter": {}}  # fmt: skip
    order = ["memory_limiter", "redaction", "attributes/hash", "batch"]
    redact_first = Pipeline.from_collector_config(config(processors, order))
    hash_first = Pipeline.from_collector_config(
        config(processors, ["attributes/hash", "redaction"]))  # fmt: skip
    import hashlib

    [one] = redact_first.add([received({"k": "secret"})])
    [two] = hash_first.add([received({"k": "secret"})])
    assert attrs(one) == {"k": hashlib.sha256(MASK.encode()).hexdigest()}
    assert attrs(two) == {"k": hashlib.sha256(b"secret").hexdigest()}, "a hash is not masked"
    with pytest.raises(ConfigError, match="processor 'filter' is not supported"):
        Pipeline.from_collector_config(config({"filter": {}}, ["filter"]))
    with pytest.raises(ConfigError, match="not defined"):
        Pipeline.from_collector_config(config({}, ["redaction"]))


def test_every_shipped_collector_config_loads():
    for path in (ROOT / "docker").glob("otel-collector*.yaml"):
        Pipeline.from_collector_file(path)


# -- the shipped policy against 10,000 secrets, through real OTLP ------------------------

ALNUM = string.ascii_letters + string.digits


def token(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def card(rng: random.Random) -> str:
    """A Luhn-valid Visa, MasterCard or Amex number, written plain, spaced or dashed."""
    prefix, length, groups = rng.choice([("4", 16, (4, 4, 4, 4)), ("5" + str(rng.randint(1, 5)),
                                         16, (4, 4, 4, 4)), ("37", 15, (4, 6, 5))])  # fmt: skip
    digits = [int(d) for d in prefix] + [rng.randint(0, 9) for _ in range(length - len(prefix) - 1)]
    total = sum(d if i % 2 else sum(divmod(2 * d, 10)) for i, d in enumerate(reversed(digits)))
    number = "".join(map(str, digits)) + str((10 - total % 10) % 10)
    separator = rng.choice(["", " ", "-"])
    parts, at = [], 0
    for size in groups:
        parts.append(number[at : at + size])
        at += size
    return separator.join(parts)


def secret(rng: random.Random, kind: str) -> tuple[str, str]:
    """(the secret, the text it is written in)."""
    if kind == "card":
        value = card(rng)
        return value, rng.choice(["{}", "paid with card {} today", "pan={}"]).format(value)
    if kind == "password":
        value = token(rng, 14, ALNUM + "!#*_-")
        return value, rng.choice(["password={}", "login?user=bob&password={}&next=/",
                                  "PWD: {}", "secret={}"]).format(value)  # fmt: skip
    if kind == "bearer":
        value = token(rng, 32, ALNUM + "-._~+/")
        return value, rng.choice(["Bearer {}", "Authorization: Bearer {}", "bearer {}"]).format(
            value
        )
    if kind == "basic":
        value = base64.b64encode(f"user{token(rng, 6)}:{token(rng, 12)}".encode()).decode()
        return value, "Authorization: Basic " + value
    if kind == "jwt":

        def part(n):
            return base64.urlsafe_b64encode(token(rng, n).encode()).decode().rstrip("=")

        value = "eyJ" + part(24) + "." + "eyJ" + part(30) + "." + part(32)
        return value, rng.choice(["{}", "session {} expired", "jwt={}"]).format(value)
    if kind == "aws":
        value = "AKIA" + token(rng, 16, string.ascii_uppercase + string.digits)
        return value, rng.choice(["{}", "using key {} for s3", "aws_access_key_id={}"]).format(
            value
        )
    if kind == "stripe":
        value = "sk_live_" + token(rng, 24)
        return value, rng.choice(["{}", "stripe key {} rejected", "key={}"]).format(value)
    value = f"{token(rng, 8).lower()}.{token(rng, 5).lower()}@{token(rng, 7).lower()}.example"
    return value, rng.choice(["{}", "mail to {} bounced", "<{}>"]).format(value)


KINDS = ["card", "password", "bearer", "basic", "jwt", "aws", "stripe", "email"]
SECRET_KEYS = ["password", "db.password", "user.passwd", "app.secret", "x-api-key",
               "auth_token", "Client-Secret", "http.request.header.authorization"]  # fmt: skip
ROUTES = ["/checkout", "/cart/{item}", "/users/{id}", "/login"]


def emit(tracer, rng: random.Random, secrets: list[str], n: int) -> None:
    """One server span with five secrets in five places, chosen at random."""

    def next_secret():
        value, text = secret(rng, rng.choice(KINDS))
        secrets.append(value)
        return value, text

    route = ROUTES[n % len(ROUTES)]
    _, in_name = next_secret()
    span = tracer.start_span(f"POST {route} {in_name}", kind=SpanKind.SERVER)
    span.set_attribute("http.route", route)
    span.set_attribute("http.request.method", "POST")
    span.set_attribute("http.response.status_code", 200 + n % 4 * 100)
    span.set_attribute("app.n", n)
    _, text = next_secret()
    span.set_attribute(rng.choice(["app.note", "url.full", "db.query.text", "message"]), text)
    value, _ = next_secret()  # under a key that says it is a secret, bare or as a header list
    key = rng.choice(SECRET_KEYS)
    span.set_attribute(key, [value] if key.startswith("http.request.header") else value)
    _, text = next_secret()
    span.add_event("exception", {"exception.type": "Oops", "exception.message": text})
    _, text = next_secret()
    span.set_status(Status(StatusCode.ERROR, text))
    span.end()


def test_the_shipped_policy_stores_no_secret_and_every_span_and_route(tmp_path):
    rng = random.Random(12)
    secrets: list[str] = []
    path = tmp_path / "traces.db"
    expected = []
    with Receiver(store=path, config=POLICY) as receiver:
        for provider_n in range(4):
            owner, owner_text = secret(rng, "email")
            key, _ = secret(rng, "aws")
            secrets += [owner, key]
            provider = TracerProvider(resource=Resource.create({
                "service.name": f"svc{provider_n}", "service.owner": owner_text,
                "cloud.credential": key}))  # fmt: skip
            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=receiver.endpoint))
            )
            sent = InMemorySpanExporter()
            provider.add_span_processor(SimpleSpanProcessor(sent))
            tracer = provider.get_tracer("test")
            for n in range(500):
                emit(tracer, rng, secrets, n)
            expected += ck.records(sent.get_finished_spans())
            provider.shutdown()
        records = {r.span_id: r for r in receiver.records()}
    assert len(secrets) >= 10_000 and len(set(secrets)) == len(secrets)
    assert len(records) == len(expected) == 2000
    for want in expected:
        got = records[want.span_id]
        assert got.service == want.service
        assert (got.start_ns, got.end_ns) == (want.start_ns, want.end_ns)
        for key in ("http.route", "http.request.method", "http.response.status_code", "app.n"):
            assert got.attributes[key] == want.attributes[key], key
        assert got.name.startswith(f"POST {want.attributes['http.route']} ")
        assert got.attributes["redaction.masked.count"] >= 4
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    leaked = [s for s in secrets if s.encode() in stored or s.replace(" ", "").replace(
        "-", "").encode() in stored and any(c.isdigit() for c in s[:4])]  # fmt: skip
    assert leaked == [], f"{len(leaked)} secrets stored, e.g. {leaked[:3]}"


# -- scrub: after the fact, and nothing left in the files --------------------------------


def test_scrub_redacts_what_is_stored_and_leaves_no_trace_in_the_files(tmp_path):
    rng = random.Random(7)
    secrets: list[str] = []
    path = tmp_path / "traces.db"
    with Receiver(store=path) as receiver:  # no policy: the secrets are stored
        provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=receiver.endpoint))
        )
        tracer = provider.get_tracer("test")
        for n in range(60):
            emit(tracer, rng, secrets, n)
        provider.shutdown()
        receiver.db.close()

    def files() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("traces"))

    assert all(s.encode() in files() for s in secrets), "the secrets are stored before scrub"
    result = subprocess.run([sys.executable, "-m", "services.receiver", "scrub", "--store",
                             str(path), "--config", str(POLICY)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "60 of the stored spans changed" in result.stdout
    values = int(result.stdout.split("changed, ")[1].split()[0])
    assert values >= 300
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0] == "traces.db"
    content = files()
    assert [s for s in secrets if s.encode() in content] == []
    store = SpanStore(path)
    routes = [r.attributes["http.route"] for r in store.records()]
    assert len(routes) == 60 and set(routes) == set(ROUTES)
    again = subprocess.run([sys.executable, "-m", "services.receiver", "scrub", "--store",
                            str(path), "--config", str(POLICY)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert "0 of the stored spans changed" in again.stdout, "scrubbing twice changes nothing"
