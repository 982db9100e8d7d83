"""The structural checks: what a design must get right that no replay shows.

Each check reads the design (design.py) against the brief (brief.py) and returns None,
or a hint in one paragraph. ``problems`` runs them in the order a reviewer would read
the design: the SDKs, the Collector tiers, their sizing, PII, storage, performance
testing, rollout.
"""

from __future__ import annotations

import math
import re

from .brief import Brief
from .design import DesignError, get
from .simulate import SAMPLERS

#: What the SDK's BatchSpanProcessor does when these are not set (OTel Python SDK 1.3x,
#: the specification's defaults).
BSP_DEFAULTS = {"OTEL_BSP_MAX_QUEUE_SIZE": 2048, "OTEL_BSP_SCHEDULE_DELAY": 5000,
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": 512}  # fmt: skip
OVERHEAD = {"latency_p99", "cpu", "memory"}
#: What one trace held by tail_sampling takes in a Collector's memory, at the least (a few
#: dozen spans of about half a KiB each, as pdata): a floor, not an estimate.
TRACE_KIB = 16


def _number(value, where: str) -> float:
    """A finite number, 0 or more (YAML reads .nan and .inf as numbers: no setting is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DesignError(f"{where} is {value!r}: a number")
    if not math.isfinite(value) or value < 0:
        raise DesignError(f"{where} is {value!r}: a finite number, 0 or more")
    return float(value)


def _env_number(value, where: str) -> float:
    """An OTEL_* variable: environment variables are text, so "8192" is a number too."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        value = int(value)
    return _number(value, where)


#: A Go duration as the Collector reads it (time.ParseDuration): 15s, 1m30s, 1500ms.
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value, where: str) -> float:
    text = str(value).strip()
    if text and re.fullmatch(f"(?:{_DURATION.pattern})+", text):
        return sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))
    raise DesignError(f"{where} is {value!r}: a Collector duration such as 15s")


def _pipeline(config: dict) -> dict:
    return get(config, "service.pipelines.traces") or {}


def _kinds(names) -> list[str]:
    return [str(n).split("/")[0] for n in names or []]


def sdk_processor(design: dict, brief: Brief) -> str | None:
    processor = str(get(design, "sampling.sdk.span_processor", "")).lower()
    if processor != "batch":
        return (
            f"sampling.sdk.span_processor is {processor or 'not set'!r}: in production use "
            "batch. A Simple span processor exports each span on the request thread, so "
            "every checkout waits on the network (lesson 06)."
        )
    return None


def sdk_queue(design: dict, brief: Brief) -> str | None:
    sdk = get(design, "sampling.sdk") or {}
    queue = _env_number(sdk.get("OTEL_BSP_MAX_QUEUE_SIZE",
                                BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]),
                        "OTEL_BSP_MAX_QUEUE_SIZE")  # fmt: skip
    delay_s = _env_number(sdk.get("OTEL_BSP_SCHEDULE_DELAY",
                                  BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"]),
                          "OTEL_BSP_SCHEDULE_DELAY") / 1000  # fmt: skip
    batch = _env_number(sdk.get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512), "the export batch size")
    rate = brief.busiest_instance_spans_per_second
    if queue < rate * delay_s:
        return (
            f"OTEL_BSP_MAX_QUEUE_SIZE {queue:,.0f} is too small: the busiest instance makes "
            f"{rate:,.0f} spans/s and exports every {delay_s:g} s (OTEL_BSP_SCHEDULE_DELAY), "
            f"so {rate * delay_s:,.0f} spans wait at once; past the queue the SDK drops spans."
        )
    if batch > queue:
        return f"OTEL_BSP_MAX_EXPORT_BATCH_SIZE {batch:,.0f} is over the queue ({queue:,.0f})."
    return None


def routing(design: dict, brief: Brief) -> str | None:
    for tier in ("agent", "gateway"):
        config = get(design, f"backend.{tier}.config") or {}
        if "tail_sampling" in _kinds(_pipeline(config).get("processors")):
            return (
                f"the {tier} runs tail_sampling: it sees only the spans that reach it, a "
                "fragment of each trace, and decides on that. Put tail sampling in the "
                "sampler tier, behind the gateway's trace-id routing."
            )
    sampler = get(design, "backend.sampler.config") or {}
    if "tail_sampling" not in _kinds(_pipeline(sampler).get("processors")):
        return "backend.sampler.config runs no tail_sampling: nothing keeps the failed checkouts."
    gateway = get(design, "backend.gateway.config") or {}
    exporters = get(gateway, "exporters") or {}
    used = [e for e in _pipeline(gateway).get("exporters") or [] if str(e).split("/")[0]
            == "loadbalancing"]  # fmt: skip
    if not used:
        defined = [e for e in exporters if str(e).split("/")[0] == "loadbalancing"]
        if defined:
            return (
                f"the gateway defines {defined[0]!r} but its traces pipeline does not export "
                "to it: a configured exporter that no pipeline lists does nothing."
            )
        return (
            "the gateway does not route by trace id: with several tail-sampling Collectors, "
            "each gets a share of every trace's spans and decides on fragments. Export with "
            "the loadbalancing exporter (routing_key: traceID) to the sampler tier."
        )
    settings = exporters.get(used[0]) or {}
    key = settings.get("routing_key", "traceID")  # the exporter's default
    if key != "traceID":
        return (
            f"the loadbalancing exporter routes by {key!r}: the spans of one trace then reach "
            "different tail-sampling Collectors. Route by traceID."
        )
    if not isinstance(settings.get("resolver"), dict) or not settings["resolver"]:
        return (
            "the loadbalancing exporter has no resolver: it needs to know the sampler tier's "
            "Collectors (resolver: dns, k8s or static)."
        )
    return None


def tail_sizing(design: dict, brief: Brief) -> str | None:
    sampler = get(design, "backend.sampler.config") or {}
    names = _pipeline(sampler).get("processors")
    name = next(n for n in names if str(n).startswith("tail_sampling"))
    settings = get(sampler, "processors", {}).get(name) or {}
    wait = _seconds(settings.get("decision_wait", "30s"), "decision_wait")
    delay = _env_number(get(design, "sampling.sdk.OTEL_BSP_SCHEDULE_DELAY", 5000),
                        "OTEL_BSP_SCHEDULE_DELAY") / 1000  # fmt: skip
    if wait < brief.timeout_s + delay:
        return (
            f"decision_wait {wait:g} s is shorter than the longest request ({brief.timeout_s:g} "
            f"s, the timeout) plus the SDK's export delay ({delay:g} s): a slow trace's last "
            "spans arrive after its decision, and the trace is judged on a fragment."
        )
    replicas = _number(get(design, "backend.sampler.replicas_per_region"),
                       "backend.sampler.replicas_per_region")  # fmt: skip
    arg = get(design, "sampling.sdk.OTEL_TRACES_SAMPLER_ARG", 1.0)
    try:
        ratio = float(arg or 0)
    except (TypeError, ValueError):
        raise DesignError(f"OTEL_TRACES_SAMPLER_ARG {arg!r} is not a number") from None
    if "ratio" not in str(get(design, "sampling.sdk.OTEL_TRACES_SAMPLER", "")):
        ratio = 1.0
    per_collector = brief.region_peak_requests_per_second * ratio / max(replicas, 1)
    num_traces = _number(settings.get("num_traces", 50_000), "num_traces")
    if num_traces < per_collector * wait:
        return (
            f"num_traces {num_traces:,.0f} is too small: at the regional peak each of the "
            f"{replicas:g} sampler Collectors gets {per_collector:,.0f} new traces/s and holds "
            f"each for {wait:g} s, {per_collector * wait:,.0f} at once; past num_traces the "
            "oldest are dropped before their decision."
        )
    run = [str(n) for n in names or [] if str(n).split("/")[0] == "memory_limiter"]
    limiter = (get(sampler, "processors") or {}).get(run[0]) if run else None
    if not isinstance(limiter, dict) or "limit_mib" not in limiter:
        return (
            "the sampler tier runs no memory_limiter with a limit_mib: tail_sampling holds "
            "every trace for decision_wait, so its memory grows with traffic until the "
            "Collector is killed and every held trace is lost. Run memory_limiter first in "
            "its traces pipeline."
        )
    limit_mib = _number(limiter["limit_mib"], "memory_limiter limit_mib")
    if num_traces * TRACE_KIB / 1024 > limit_mib:
        return (
            f"num_traces {num_traces:,.0f} cannot fit: held traces take about "
            f"{TRACE_KIB} KiB each, {num_traces * TRACE_KIB / 1024**2:,.0f} GiB, against "
            f"the sampler's memory_limiter of {limit_mib:,.0f} MiB, which refuses data "
            "long before. Size num_traces from the traffic (about twice what one "
            "Collector holds), and the memory to match."
        )
    return None


def pii_placement(design: dict, brief: Brief) -> str | None:
    agent = get(design, "backend.agent.config") or {}
    used = _kinds(_pipeline(agent).get("processors"))
    if "redaction" not in used:
        defined = [n for n in get(agent, "processors", {}) or {} if str(n).startswith("redaction")]
        if defined:
            return (
                f"the agent defines {defined[0]!r} but its traces pipeline does not run it: "
                "card data leaves the node untouched."
            )
        return (
            "the agent runs no redaction processor: card data leaves the node it was made "
            "on, and every Collector and network hop after it is in PCI scope. Redact in the "
            "agent, first."
        )
    return None


def retention(design: dict, brief: Brief) -> str | None:
    days = _number(get(design, "backend.storage.retention_days"), "backend.storage.retention_days")
    if days < brief.min_retention_days:
        return (
            f"retention_days {days:g}: incident reviews happen within "
            f"{brief.min_retention_days} days, so keep traces at least that long."
        )
    return None


def performance(design: dict, brief: Brief) -> str | None:
    test = get(design, "performance.load_test") or {}
    rate = _number(test.get("requests_per_second"), "performance.load_test.requests_per_second")
    if rate < brief.region_peak_requests_per_second:
        return (
            f"the load test runs {rate:,.0f} requests/s: overhead shows at the peak, so test "
            f"at least one region's peak ({brief.region_peak_requests_per_second:,.0f}/s)."
        )
    variants = {str(v).lower() for v in test.get("variants") or []}
    if "tracing_off" not in variants or len(variants) < 2:
        return (
            "performance.load_test.variants needs tracing_off and your tracing set-up: "
            "overhead is the difference between the two, measured on the same load."
        )
    return None


def rollout(design: dict, brief: Brief) -> str | None:
    steps = get(design, "rollout.steps")
    if not isinstance(steps, list) or not steps:
        return "rollout.steps is empty: list the steps, each with services and measure."
    widths = []
    for n, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            return f"rollout step {n} is {step!r}: a mapping with services and measure"
        widths.append(_number(step.get("services"), f"rollout step {n}'s services"))
    if widths[0] > brief.services / 10:
        return (
            f"the rollout starts with {widths[0]:g} services: start small (a tenth of the "
            f"{brief.services} or fewer) so a problem hurts little."
        )
    if widths[-1] < brief.services:
        return f"the rollout ends at {widths[-1]:g} services, not all {brief.services}."
    for n in range(1, len(steps)):
        if widths[n] < widths[n - 1]:
            return f"rollout step {n + 1} has fewer services than step {n}."
        measured = {str(m).lower() for m in steps[n - 1].get("measure") or []}
        overhead = "latency_p99" in measured and measured & {"cpu", "memory"}
        if widths[n] > widths[n - 1] and not overhead:
            return (
                f"rollout step {n + 1} widens from {widths[n - 1]:g} to {widths[n]:g} services, "
                f"but step {n} measures {sorted(measured) or 'nothing'}: measure the "
                "overhead (latency_p99, and cpu or memory) before you widen."
            )
    return None


CHECKS = (sdk_processor, sdk_queue, routing, tail_sizing, pii_placement, retention,
          performance, rollout)  # fmt: skip


def problems(design: dict, brief: Brief) -> list[str]:
    """The hints of every structural check that fails, in reading order."""
    found = []
    for check in CHECKS:
        hint = check(design, brief)
        if hint:
            found.append(hint)
    return found


def baseline_share(design: dict) -> float:
    """The share of ordinary traffic the design means to keep: the head ratio times the
    largest probabilistic percentage of the sampler tier (what the configuration says)."""
    name = str(get(design, "sampling.sdk.OTEL_TRACES_SAMPLER", "parentbased_always_on")).lower()
    head = 1.0
    if name in SAMPLERS and "ratio" in name:
        head = float(get(design, "sampling.sdk.OTEL_TRACES_SAMPLER_ARG", 1.0))
    elif name.endswith("always_off"):
        head = 0.0
    tail = 0.0
    for processor in (get(design, "backend.sampler.config.processors") or {}).values():
        policies = processor.get("policies") if isinstance(processor, dict) else None
        for policy in policies or []:
            if policy.get("type") == "always_sample":
                tail = 1.0
            if policy.get("type") == "probabilistic":
                tail = max(tail, float((policy.get("probabilistic") or {}).get(
                    "sampling_percentage", 0)) / 100)  # fmt: skip
    return head * tail
