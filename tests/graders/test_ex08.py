"""Exercise 08 (the capstone design): the simulator's figures on fixed designs, and the
catalogue of right and wrong designs."""

from __future__ import annotations

import copy
import functools

import pytest
import yaml

from coursekit.capstone import BRIEF, MONTH_6, load, run
from coursekit.checks import ex08
from coursekit.exercises import EXERCISES, SOLUTIONS
from tests.graders.catalogue import assert_catalogue, grade, learner

SOLUTION = SOLUTIONS / "08_capstone_design.yaml"
TEMPLATE = EXERCISES / "08_capstone_design.yaml"


@functools.cache
def _model() -> dict:
    return yaml.safe_load(SOLUTION.read_text())


def design(change=None, month_6=None) -> dict:
    """The model design, changed by ``change(d)`` (and its month_6 by ``month_6(m)``)."""
    d = copy.deepcopy(_model())
    if change:
        change(d)
    if month_6:
        month_6(d["month_6"])
    return d


def tail(d) -> dict:
    return d["backend"]["sampler"]["config"]["processors"]["tail_sampling"]


def policy(d, name) -> dict:
    return next(p for p in tail(d)["policies"] if p["name"] == name)


def agent(d) -> dict:
    return d["backend"]["agent"]["config"]


def gateway(d) -> dict:
    return d["backend"]["gateway"]["config"]


def setting(path: str, value):
    """A change that sets one dotted path."""

    def change(d):
        *parents, last = path.split(".")
        for key in parents:
            d = d[key]
        d[last] = value

    return change


def both(*changes):
    def change(d):
        for c in changes:
            c(d)

    return change


# ------------------------------------------------------------------ the simulator's figures


@pytest.fixture(scope="module")
def model_reports():
    return {m: run(load(SOLUTION, month=m), b) for m, b in ((0, BRIEF), (6, MONTH_6))}


def test_the_model_keeps_every_failed_and_slow_trace_within_budget(model_reports):
    for report in model_reports.values():
        assert report.share("failed") == report.share("slow") == 1
        assert 0.01 <= report.share("ordinary") < 0.03
        assert report.leaks == []
        assert report.cost_per_month() < report.brief.budget_per_month


def test_the_month_6_scenario_doubles_traffic_and_grows_spans(model_reports):
    month_0, month_6 = model_reports[0], model_reports[6]
    assert month_6.brief.requests_per_month == 2 * month_0.brief.requests_per_month
    per_trace = [
        sum(s.spans for s in r.strata.values() if s.kind == "checkout")
        / sum(s.kept * s.requests / s.traces for s in r.strata.values() if s.kind == "checkout")
        for r in (month_0, month_6)
    ]
    assert 1.4 < per_trace[1] / per_trace[0] < 1.7


def test_the_month_0_design_is_over_budget_at_month_6():
    d = design()
    d.pop("month_6")
    report = run(load(d, month=6), MONTH_6)
    assert report.cost_per_month() > MONTH_6.budget_per_month


def test_keeping_everything_costs_many_times_the_budget_and_leaks_without_redaction():
    def change(d):
        tail(d)["policies"].append({"name": "all", "type": "always_sample"})
        agent(d)["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter"]

    report = run(load(design(change)), BRIEF)
    assert report.share("ordinary") == 1
    assert report.cost_per_month() > 5 * BRIEF.budget_per_month
    assert {ex08.secret_kind(s) for s in report.leaks} == {
        "card numbers", "e-mail addresses", "bearer tokens", "tokens in query strings"}  # fmt: skip


def test_cost_is_the_cited_price_times_the_bytes(model_reports):
    report = model_reports[0]
    price = BRIEF.price
    assert price.per_gb == pytest.approx(0.45)
    assert report.cost_per_month(30) == pytest.approx(report.gb_per_month * 0.45)
    assert report.cost_per_month(60) == pytest.approx(report.gb_per_month * 0.55)
    assert price.source.startswith("https://grafana.com/docs/grafana-cloud/")


# ------------------------------------------------------------------ right designs


def _lean_spans(d):
    """Month 6 by making spans lighter: delete the bulky attributes, keep the 2% baseline."""
    a = agent(d)
    a["processors"]["attributes/lean"] = {"actions": [
        {"key": "db.query.text", "action": "delete"},
        {"key": "url.full", "action": "delete"},
        {"key": "server.address", "action": "delete"},
        {"key": "url.path", "action": "delete"},
    ]}  # fmt: skip
    a["service"]["pipelines"]["traces"]["processors"].append("attributes/lean")


ALLOW_LIST = {
    "allow_all_keys": False,
    "allowed_keys": ["http.route", "http.request.method", "http.response.status_code",
                     "db.system.name", "db.operation.name", "db.collection.name",
                     "messaging.system", "messaging.destination.name", "feature_flag.key",
                     "exception.message"],
    "ignored_keys": ["service.name"],
    "blocked_values": ["\\b(?:\\d[ -]?){12,18}\\d\\b",
                       "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"],
    "hash_function": "sha3",
}  # fmt: skip


def _allow_list(d):
    agent(d)["processors"]["redaction"] = ALLOW_LIST
    policy(d, "baseline")["probabilistic"]["sampling_percentage"] = 1.5
    tail(d)["decision_wait"] = "20s"
    tail(d)["num_traces"] = 61_000  # 12,000 / 4 x 20 s = 60,000
    gateway(d)["exporters"]["loadbalancing"].pop("routing_key")  # traceID is the default
    gateway(d)["exporters"]["loadbalancing"]["resolver"] = {
        "static": {"hostnames": ["sampler-1:4317", "sampler-2:4317"]}}  # fmt: skip
    d["rollout"]["steps"] = [
        {"services": 1, "measure": ["latency_p99", "memory"]},
        {"services": 6, "measure": ["latency_p99", "cpu"]},
        {"services": 60, "measure": ["cost"]},
    ]


def _allow_list_month_6(m):
    m["backend"]["sampler"]["config"]["processors"]["tail_sampling"].update(
        decision_wait="20s", num_traces=61_000)  # fmt: skip
    m["backend"]["sampler"]["config"]["processors"]["tail_sampling"]["policies"][2] = {
        "name": "baseline", "type": "probabilistic",
        "probabilistic": {"sampling_percentage": 1, "hash_salt": "month-6"}}  # fmt: skip


RIGHT = {
    "the model design, by path": lambda: SOLUTION,
    "the model design, as text": lambda: SOLUTION.read_text(),
    "lighter spans in month 6 instead of a smaller baseline": lambda: design(
        _lean_spans,
        lambda m: m["backend"]["sampler"]["config"]["processors"]["tail_sampling"].__setitem__(
            "policies",
            _model()["backend"]["sampler"]["config"]["processors"]["tail_sampling"]["policies"],
        ),
    ),  # fmt: skip
    "an allow-list redaction, hashed values, 1.5% baseline, static resolver": lambda: design(
        _allow_list, _allow_list_month_6
    ),
    "the SDK's variables as text, as a Kubernetes env list needs them": lambda: design(
        lambda d: d["sampling"]["sdk"].update(
            {k: str(v) for k, v in d["sampling"]["sdk"].items() if k.startswith("OTEL_BSP_")}
        )
    ),
    "Go durations in other units (12s500ms, 0.25m), anchors for the shared policies": lambda: (
        _durations_and_anchors()
    ),
}


def _durations_and_anchors() -> str:
    text = SOLUTION.read_text()
    text = text.replace("decision_wait: 15s", "decision_wait: 12s500ms", 1)
    text = text.replace("decision_wait: 15s", "decision_wait: 0.25m", 1)
    errors = "- {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}"
    text = text.replace(errors, "- &errors" + errors[1:], 1).replace(errors, "- *errors", 1)
    assert "*errors" in text and "0.25m" in text and "12s500ms" in text
    return text


@pytest.mark.parametrize("name", RIGHT)
@pytest.mark.parametrize("check", [ex08._check, ex08._check_month_6], ids=["month 0", "month 6"])
def test_right_designs_pass(name, check):
    outcome = grade(check, RIGHT[name]())
    assert outcome.passed, outcome.message


# ------------------------------------------------------------------ wrong designs


def _no_route(d):
    gateway(d)["exporters"] = {"otlp_grpc/samplers": {"endpoint": "otel-sampler:4317"}}
    gateway(d)["service"]["pipelines"]["traces"]["exporters"] = ["otlp_grpc/samplers"]


def _weak_redaction(d):
    agent(d)["processors"]["redaction"]["blocked_values"] = [
        "(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]+",
        "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}",
        "(?i)(passw(or)?d|secret|token|api[._-]?key)\\s*[=:]\\s*[^\\s&;,]+",
    ]
    agent(d)["processors"]["redaction"]["blocked_key_patterns"] = ["(?i).*(token|authorization).*"]


def _tail_in_agent(d):
    agent(d)["processors"]["tail_sampling"] = tail(d)
    agent(d)["service"]["pipelines"]["traces"]["processors"].append("tail_sampling")


def _head_sampling_month_6(m):
    m["sampling"]["sdk"].update(OTEL_TRACES_SAMPLER="parentbased_traceidratio",
                                OTEL_TRACES_SAMPLER_ARG=0.5)  # fmt: skip


def _rate_limit_month_6(m):
    m["backend"]["sampler"]["config"]["processors"]["tail_sampling"]["policies"][2] = {
        "name": "baseline",
        "type": "rate_limiting",
        "rate_limiting": {"spans_per_second": 5000},
    }


def _redact_everything(d):
    # fails closed: every span attribute goes; values elsewhere (events) are masked
    redaction = agent(d)["processors"]["redaction"]
    agent(d)["processors"]["redaction"] = {
        "allow_all_keys": False,
        "allowed_keys": [],
        "blocked_values": redaction["blocked_values"],
    }


def _redaction_not_run(d):
    agent(d)["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter"]


def _balancer_not_used(d):
    gateway(d)["exporters"]["otlp_grpc/samplers"] = {"endpoint": "otel-sampler:4317"}
    gateway(d)["service"]["pipelines"]["traces"]["exporters"] = ["otlp_grpc/samplers"]


def _short_wait(d):
    tail(d).update(decision_wait="1s", num_traces=3_000)


WRONG = {
    "unsolved": (lambda: TEMPLATE, "sampling.sdk.span_processor is 'not set'"),
    "bad YAML": (lambda: "sampling:\n  sdk: [unclosed\n", "the design is not valid YAML (line 3"),
    "not a design": (lambda: "- a list\n- of things\n", "the design is not a design"),
    "keeps nothing but a baseline": (
        lambda: design(lambda d: tail(d).update(policies=[policy(d, "baseline")])),
        "Add a status_code policy"),
    "head sampling at 10%": (lambda: design(both(
        setting("sampling.sdk.OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        setting("sampling.sdk.OTEL_TRACES_SAMPLER_ARG", 0.1))),
        "Head sampling (parentbased_traceidratio) decides before a checkout fails"),
    "keeps everything": (
        lambda: design(lambda d: tail(d)["policies"].append(
            {"name": "all", "type": "always_sample"})), "you keep 100% of ordinary requests"),
    "blows the budget with a 10% baseline": (
        lambda: design(lambda d: policy(d, "baseline")["probabilistic"].update(
            sampling_percentage=10)), "against a budget of $1,500. Lower what you keep"),
    "a baseline under 1%": (
        lambda: design(lambda d: policy(d, "baseline")["probabilistic"].update(
            sampling_percentage=0.5)), "(the design says 0.50%): keep at least 1%"),
    "latency threshold over the SLO": (
        lambda: design(lambda d: policy(d, "over-slo")["latency"].update(threshold_ms=1000)),
        "every slow checkout must be kept"),
    "leaks card numbers": (lambda: design(_weak_redaction), "(card numbers)"),
    "tail sampling without trace-id routing": (
        lambda: design(_no_route), "the gateway does not route by trace id"),
    "routing by service": (
        lambda: design(lambda d: gateway(d)["exporters"]["loadbalancing"].update(
            routing_key="service")), "routes by 'service'"),
    "tail sampling in the agent": (lambda: design(_tail_in_agent), "the agent runs tail_sampling"),
    "no resolver": (
        lambda: design(lambda d: gateway(d)["exporters"]["loadbalancing"].pop("resolver")),
        "has no resolver"),
    "Simple span processor": (
        lambda: design(setting("sampling.sdk.span_processor", "simple")),
        "A Simple span processor exports each span on the request thread"),
    "the SDK's default queue": (
        lambda: design(lambda d: [d["sampling"]["sdk"].pop(k) for k in (
            "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_SCHEDULE_DELAY")]),
        "OTEL_BSP_MAX_QUEUE_SIZE 2,048 is too small"),
    "undersized num_traces": (
        lambda: design(lambda d: tail(d).update(num_traces=10_000)),
        "num_traces 10,000 is too small"),
    "rollout without measuring": (
        lambda: design(lambda d: [s.update(measure=["cost"]) for s in d["rollout"]["steps"]]),
        "measure the overhead (latency_p99, and cpu or memory) before you widen"),
    "rollout that starts everywhere": (
        lambda: design(setting("rollout.steps", [{"services": 60, "measure": ["latency_p99"]}])),
        "the rollout starts with 60 services"),
    "load test without tracing off": (
        lambda: design(setting("performance.load_test.variants", ["tracing_on"])),
        "needs tracing_off"),
    "load test far under the peak": (
        lambda: design(setting("performance.load_test.requests_per_second", 500)),
        "the load test runs 500 requests/s"),
    "retention shorter than the reviews": (
        lambda: design(setting("backend.storage.retention_days", 7)), "retention_days 7"),
    "an unknown processor": (
        lambda: design(lambda d: agent(d)["service"]["pipelines"]["traces"]["processors"]
                       .append("filter/health")),
        "backend.agent.config: processor 'filter/health' is not supported"),
    "a head sampler the SDK does not have": (
        lambda: design(setting("sampling.sdk.OTEL_TRACES_SAMPLER", "xray")),
        "OTEL_TRACES_SAMPLER 'xray'"),
    # month 6
    "month 6: no changes": (
        lambda: design(lambda d: d.pop("month_6")), "at month 6: OTEL_BSP_MAX_QUEUE_SIZE 4,096"),
    "month 6: cost cut by head sampling": (
        lambda: design(month_6=_head_sampling_month_6),
        "at month 6: kept 45% of browse, 38% of search, 28% of checkout failed"),
    "month 6: a rate limit for the baseline": (
        lambda: design(month_6=_rate_limit_month_6), "a rate_limiting policy keeps a share"),
    # Cheats: right-looking results by the wrong means.
    "cheat: the design rewrites the brief's budget": (
        lambda: design(lambda d: d.update(brief={"budget_per_month": 100_000})),
        "may not change the brief"),
    "cheat: redaction that removes every attribute": (
        lambda: design(_redact_everything), "stored server spans still say their http.route"),
    "cheat: redaction defined in the agent, not run": (
        lambda: design(_redaction_not_run), "defines 'redaction' but its traces pipeline"),
    "cheat: a loadbalancing exporter defined, not used": (
        lambda: design(_balancer_not_used), "defines 'loadbalancing' but its traces pipeline"),
    "cheat: a 1 s decision wait so that a small num_traces fits": (
        lambda: design(_short_wait), "decision_wait 1 s is shorter than the longest request"),
    "cheat: a NaN queue, which no comparison finds too small": (
        lambda: design(setting("sampling.sdk.OTEL_BSP_MAX_QUEUE_SIZE", float("nan"))),
        "OTEL_BSP_MAX_QUEUE_SIZE is nan: a finite number, 0 or more"),
    "cheat: a negative export delay, so that a short decision wait fits": (
        lambda: design(both(setting("sampling.sdk.OTEL_BSP_SCHEDULE_DELAY", -9000),
                            lambda d: tail(d).update(decision_wait="2s", num_traces=6_000))),
        "OTEL_BSP_SCHEDULE_DELAY is -9000: a finite number"),
    "cheat: NaN sampler replicas, so that any num_traces fits": (
        lambda: design(both(setting("backend.sampler.replicas_per_region", float("nan")),
                            lambda d: tail(d).update(num_traces=10))),
        "backend.sampler.replicas_per_region is nan"),
    "cheat: a rollout of NaN services, neither too wide nor short of all": (
        lambda: design(setting("rollout.steps", [{"services": float("nan"), "measure": []}])),
        "rollout step 1's services is nan"),
    "cheat: num_traces so large no comparison fails, the memory_limiter taken out": (
        lambda: design(lambda d: (tail(d).update(num_traces=10**12), d["backend"]["sampler"][
            "config"]["service"]["pipelines"]["traces"]["processors"].remove("memory_limiter"))),
        "the sampler tier runs no memory_limiter"),
    "cheat: a float of its own that lies when it is read": (
        lambda: design(lambda d: tail(d).update(num_traces=learner(
            "class Lying(float):\n    def __float__(self):\n        return 1e9\n", "Lying")(10))),
        "the design holds a Lying, which YAML cannot write"),
    "cheat: num_traces so large no comparison fails": (
        lambda: design(lambda d: tail(d).update(num_traces=10**12)),
        "num_traces 1,000,000,000,000 cannot fit"),
    "cheat: a key written twice, the reader sees the first, PyYAML keeps the last": (
        lambda: SOLUTION.read_text().replace(
            "num_traces: 90000 ", "num_traces: 900000\n          num_traces: 90000 ", 1
        ).replace("decision_wait: 15s ", "decision_wait: 15s\n          decision_wait: 1s ", 1),
        "the key 'decision_wait' is written twice"),
}  # fmt: skip

MONTH_6_ONLY = {n for n in WRONG if n.startswith("month 6")}


def _grade_wrong(item):
    name, make = item
    check = ex08._check_month_6 if name in MONTH_6_ONLY else ex08._check
    return grade(check, make())


def test_wrong_designs_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    wrong = {name: ((name, make), hint) for name, (make, hint) in WRONG.items()}
    assert_catalogue(wrong, _grade_wrong)


PATCHES = {
    "cheat: the simulator patched to report no leaks and no cost": (
        """
import coursekit.capstone.simulate as simulate

real = simulate.run
def run(design, brief, seed=2026):
    report = real(design, brief, seed)
    report.leaks = []
    return report
simulate.run = run
""",
        "is not the course's own",
    ),
    "cheat: yaml.safe_load patched to read the model instead": (
        """
import yaml

real = yaml.safe_load
yaml.safe_load = lambda text: real(open("solutions/08_capstone_design.yaml"))
""",
        "yaml.safe_load is not PyYAML's own",
    ),
}


@pytest.mark.parametrize("name", PATCHES)
def test_patching_the_kit_is_refused(name, monkeypatch):
    source, hint = PATCHES[name]
    monkeypatch.setattr(yaml, "safe_load", yaml.safe_load)  # put back after (not a kit module)
    learner(source + "\ndef noop():\n    pass\n", "noop")
    leaky = design(_weak_redaction)
    outcome = grade(ex08._check, leaky)
    assert not outcome.passed and hint in " ".join(outcome.message.split()), outcome.message


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("08") == notebook_runs.stored_output("08")
    said = " ".join(notebook_runs.check_output("08", "exercise").split())
    assert "✘ not yet: sampling.sdk.span_processor is 'not set'" in said
    assert "✘ not yet: at month 6: sampling.sdk.span_processor" in said


def test_the_template_has_every_part_of_the_model():
    template, model = yaml.safe_load(TEMPLATE.read_text()), _model()
    assert set(template) == set(model)
    for part in ("instrumentation", "sampling", "backend", "pii", "performance", "rollout"):
        assert "why" in template[part] and "TODO" in template[part]["why"]
        assert set(template[part]) <= set(model[part]) | {"redaction"}, part
