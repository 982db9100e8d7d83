"""Lesson 07's anti-patterns: each knob's mechanism, the doctor both ways on each, the
doctor as a process on the shop's own exports, and PII removed at the source, in the
pipeline and from the store's files."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import coursekit as ck
from coursekit import antipatterns as ap
from coursekit import pii
from services import Receiver, ShopConfig, SpanStore, exporting_to, make_tracer_provider
from services.backend.processors import Pipeline

ROOT = Path(__file__).resolve().parent.parent
REDACTION_YAML = ROOT / "docker/otel-collector-redaction.yaml"
SHOP = ShopConfig(base_latency_ms=1)
N = 12  # checkouts: more than the doctor's default 10 names per template


@pytest.fixture(scope="module")
def runs():
    """The fixed shop, and one run per planted knob (each once for the module)."""
    knobs = {
        "base": {},
        "span_per_row": {"span_per_row": True},
        "ids_in_span_names": {"ids_in_span_names": True},
        "job_lost": {"fraud_check": True},
        "job_kept": {"fraud_check": True, "background_job_loses_context": False},
        "spans_carry_secrets": {"spans_carry_secrets": True},
    }
    return {name: ap.run_shop(name, SHOP.replace(**k), N) for name, k in knobs.items()}


def names(run) -> set[str]:
    return {s.name for s in run.spans}


# --- each knob's mechanism ----------------------------------------------------------------
def test_span_per_row_adds_one_span_per_row_and_the_fix_counts_them(runs):
    base, rows = runs["base"], runs["span_per_row"]
    assert len(base.spans) == 9 * N and "read stock row" not in names(base)
    assert len(rows.spans) == (9 + SHOP.stock_rows) * N
    lookup = next(s for s in base.spans if s.name == "lookup stock")
    assert lookup.attributes["app.stock.rows_read"] == SHOP.stock_rows
    per_row = [s for s in rows.spans if s.name == "read stock row"]
    parents = {s.parent.span_id for s in per_row}
    assert {s.context.span_id for s in rows.spans if s.name == "lookup stock"} == parents


def test_ids_in_span_names_gives_each_order_a_name(runs):
    orders = {n for n in names(runs["ids_in_span_names"]) if n.startswith("POST /orders")}
    assert orders == {f"POST /orders/ord-{i:04d}" for i in range(1, N + 1)}
    assert "POST /orders" in names(runs["base"])
    assert ap.cost(runs["ids_in_span_names"]).span_names == ap.cost(runs["base"]).span_names + N - 1


def test_the_fraud_job_loses_the_context_unless_it_carries_it(runs):
    lost, kept = runs["job_lost"], runs["job_kept"]
    for run in (lost, kept):
        assert sum(s.name == "score fraud" for s in run.spans) == N
    roots = [s for s in lost.spans if s.name == "score fraud"]
    assert all(s.parent is None for s in roots) and lost.traces == 2 * N
    assert kept.traces == N
    orders = {s.context.span_id: s for s in kept.spans if s.name == "POST /orders"}
    assert all(s.parent.span_id in orders for s in kept.spans if s.name == "score fraud")


def test_the_fraud_worker_thread_stops_with_the_shop(runs):
    assert not [t for t in threading.enumerate() if t.name == "checkout-fraud-scorer"]


def test_spans_carry_secrets_records_headers_body_card_and_a_note(runs):
    found = pii.found_in_spans(runs["spans_carry_secrets"].spans, ap.SECRETS)
    assert all(n >= N for n in found.values()), found
    assert not any(pii.found_in_spans(runs["base"].spans, ap.SECRETS).values())
    charge = next(s for s in runs["spans_carry_secrets"].spans if s.name == "POST /charge")
    assert ap.SECRETS["card"] in charge.events[0].attributes["app.note"]


# --- the doctor, both ways, on each knob ---------------------------------------------------
EXPECTED = {
    "base": set(),
    "span_per_row": {"too-many-spans"},
    "ids_in_span_names": {"high-cardinality-span-name", "span-naming"},
    "job_lost": {"broken-propagation"},
    "job_kept": set(),
    "spans_carry_secrets": {"sensitive-data"},
}


@pytest.mark.parametrize("name", EXPECTED)
def test_the_doctor_finds_each_planted_knob_and_nothing_when_fixed(runs, name):
    assert ck.doctor(runs[name].spans).rules() == EXPECTED[name]


def test_thresholds_change_what_is_found(runs):
    assert not ck.doctor(runs["span_per_row"].spans, max_repeated_spans=SHOP.stock_rows).rules()
    assert (
        "high-cardinality-span-name"
        not in ck.doctor(runs["ids_in_span_names"].spans, max_names_per_template=N).rules()
    )


def test_a_secret_finding_never_quotes_the_secret(runs):
    text = json.dumps([f.to_dict() for f in ck.doctor(runs["spans_carry_secrets"].spans)])
    assert not any(secret in text for secret in ap.SECRETS.values())


def test_blocking_export_on_the_live_providers_and_its_cost():
    timing = ap.blocking_export(SHOP, delay_ms=20, count=4)
    assert ck.doctor(tracer_provider=timing.simple.providers).rules() == {"blocking-export"}
    assert not ck.doctor(tracer_provider=timing.batch.providers).findings
    # Four server spans at least end on the frontend's response path, each after one
    # export that waits 20 ms: a generous margin under the measured (about 9 waits).
    assert timing.added_ms > 4 * timing.delay_ms


# --- the doctor as a process on the shop's own export ------------------------------------
@pytest.mark.slow  # real processes: the receiver's export and the doctor, as a user runs them
def test_doctor_process_on_the_shops_exported_traces(tmp_path):
    results = {}
    for name, knobs in (("clean", {}), ("leaky", {"spans_carry_secrets": True})):
        db = tmp_path / f"{name}.db"
        with Receiver(store=db) as receiver:
            ap.run_shop(name, SHOP.replace(**knobs), 3, exporting_to(receiver.endpoint))
        exported = subprocess.run(
            [sys.executable, "-m", "services.receiver", "export", "--store", str(db)],
            cwd=ROOT, capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(exported.stdout)
        results[name] = subprocess.run(
            [sys.executable, "-m", "coursekit.doctor", str(path), "--json"],
            cwd=ROOT, capture_output=True, timeout=120,
        )  # fmt: skip
    assert results["clean"].returncode == 0, results["clean"].stderr
    assert json.loads(results["clean"].stdout) == []
    leaky = results["leaky"]
    assert leaky.returncode == 1 and leaky.stderr == b""
    findings = json.loads(leaky.stdout)
    assert {f["rule"] for f in findings} == {"sensitive-data"}
    assert all({"rule", "severity", "trace_id", "service", "message", "hint"} <= set(f)
               for f in findings)  # fmt: skip
    assert not any(secret.encode() in leaky.stdout for secret in ap.SECRETS.values())


# --- PII: at the source, in the pipeline, in the store --------------------------------------
LEAKY = SHOP.replace(spans_carry_secrets=True)


def test_the_sdk_side_processor_removes_the_secrets_and_keeps_what_an_sre_needs():
    rules = pii.Rules.from_collector_file(REDACTION_YAML)
    exporter = InMemorySpanExporter()
    ap.run_shop("redacted", LEAKY, 3, lambda service: make_tracer_provider(
        service, exporter, processor_factory=lambda e: pii.RedactingSpanProcessor(
            SimpleSpanProcessor(e), rules)))  # fmt: skip
    spans = exporter.get_finished_spans()
    assert len(spans) == 27 and not any(pii.found_in_spans(spans, ap.SECRETS).values())
    charge = next(s for s in spans if s.name == "POST /charge")
    assert charge.attributes["http.route"] == "/charge"
    assert charge.attributes["http.response.status_code"] == 200
    assert charge.resource.attributes["service.name"] == "payment"
    assert ck.doctor(spans).rules() == set()


def test_the_sdk_side_processor_with_exercise_07s_patterns_passes_its_hidden_corpus():
    """One policy, two places: the exercise's Collector settings, run by the lesson's SDK
    processor, clean names, status messages and events as well."""
    import yaml

    from coursekit.checks import ex07
    from coursekit.checks.harness import evaluate

    team = yaml.safe_load(REDACTION_YAML.read_text())["processors"]["redaction"]
    extra = [r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
             r'(?i)"(passw(or)?d|passwd|pwd|secret|token|api[._-]?key)"\s*:\s*"[^"]*"',
             r"\bgh[pousr]_[A-Za-z0-9]{20,}"]  # fmt: skip
    rules = pii.Rules({**team, "blocked_values": extra + team["blocked_values"]})

    class Redactor(pii.RedactingSpanProcessor):
        def __init__(self, inner):
            super().__init__(inner, rules)

    outcome = evaluate(ex07._check, lambda: Redactor)
    assert outcome.passed, outcome.message
    team_only = pii.Rules(team)

    class TeamRedactor(pii.RedactingSpanProcessor):
        def __init__(self, inner):
            super().__init__(inner, team_only)

    assert not evaluate(ex07._check, lambda: TeamRedactor).passed


def test_the_pipeline_removes_every_secret_the_shop_sends():
    with Receiver(config=REDACTION_YAML) as receiver:
        ap.run_shop("pipeline", LEAKY, 3, exporting_to(receiver.endpoint))
        stored = receiver.spans()
    assert len(stored) == 27 and not any(pii.found_in_received(stored, ap.SECRETS).values())
    routes = {ck.records([s])[0].attributes.get("http.route") for s in stored}
    assert {"/checkout", "/orders", "/reserve", "/charge"} <= routes


def test_a_plain_delete_leaves_the_bytes_and_the_scrub_leaves_none(tmp_path):
    db = tmp_path / "traces.db"
    with Receiver(store=db) as receiver:
        ap.run_shop("stored", LEAKY, 3, exporting_to(receiver.endpoint))
    before = pii.found_in_files(pii.store_files(db), ap.SECRETS)
    assert all(before.values()), before
    assert pii.naive_delete(db, ap.SECRETS["card"]) == 3  # the payment spans
    assert pii.found_in_files(pii.store_files(db), ap.SECRETS)["card"] > 0
    store = SpanStore(db)
    changed, values = store.rewrite(Pipeline.from_collector_file(REDACTION_YAML).scrub)
    store.close()
    assert changed == 3 and values > 0  # the frontend spans: headers and body
    assert not any(pii.found_in_files(pii.store_files(db), ap.SECRETS).values())


def test_scrub_removes_generated_secrets_of_every_kind_from_the_files(tmp_path):
    """Exercise 07's generated corpus (every kind, format and place) stored, then scrubbed
    with the exercise's solution policy: no byte of any secret left in any file."""
    import yaml

    from coursekit.checks import ex07

    spans, planted = ex07.corpus()
    store = SpanStore(tmp_path / "traces.db")
    store.add([ex07.received_span(spec, n, "test") for n, spec in enumerate(spans, 1)])
    secrets = {f"{s.what} {place}": s.secret for s, place, _ in planted}
    files = pii.store_files(tmp_path / "traces.db")
    assert all(pii.found_in_files(files, secrets).values())
    config = yaml.safe_load(REDACTION_YAML.read_text())
    redaction = config["processors"]["redaction"]
    redaction["blocked_values"][:0] = [
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
        r'(?i)"(passw(or)?d|passwd|pwd|secret|token|api[._-]?key)"\s*:\s*"[^"]*"',
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    ]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(config))
    changed, _ = store.rewrite(Pipeline.from_collector_file(path).scrub)
    store.close()
    assert changed == len({index for _, _, index in planted})  # decoys stay as they are
    left = {k: n for k, n in pii.found_in_files(files, secrets).items() if n}
    assert not left, left


def test_the_shop_command_plants_each_anti_pattern_by_flag():
    from services.__main__ import config_from, parser

    plain = config_from(parser().parse_args([]))
    assert plain == ShopConfig()
    every = config_from(parser().parse_args([
        "--span-per-row", "--ids-in-span-names", "--fraud-check", "--spans-carry-secrets",
    ]))  # fmt: skip
    assert every == ShopConfig(span_per_row=True, ids_in_span_names=True, fraud_check=True,
                               spans_carry_secrets=True)  # fmt: skip
    fixed = config_from(parser().parse_args(["--fraud-check", "--job-carries-context"]))
    assert fixed.fraud_check and not fixed.background_job_loses_context
