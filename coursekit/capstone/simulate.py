"""Replay the brief's month through a design, with the course's own code.

1. **Head sampling**: the design's ``OTEL_TRACES_SAMPLER`` / ``_ARG``, built as the SDK's
   own sampler (``opentelemetry.sdk.trace.sampling``), asked about every span with its
   parent's context, as each service's SDK would be.
2. **The Collectors**: the agent's, the gateway's and the tail-sampling tier's
   configurations, each run as the local receiver runs a Collector YAML
   (``services.backend.processors.Pipeline``: tail sampling, redaction, attributes), in
   that order.
3. **Storage**: what comes out goes into the receiver's SQLite store (``SpanStore``), one
   per stratum; its OTLP export requests give the bytes stored, and a search of those
   bytes for every planted secret gives the leaks.

The sample is stratified (see traffic.py): each trace kept counts ``weight`` times, so
spans and bytes per month are the kept sample's, scaled by each stratum's weight.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.sdk.trace import sampling as sdk_sampling
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from services.backend.processors import ConfigError, Pipeline
from services.backend.store import SpanStore

from . import traffic
from .brief import BRIEF, GB, Brief
from .design import TIERS, DesignError, get

#: The OTEL_TRACES_SAMPLER values the SDK reads (the specification's names).
SAMPLERS = {
    "always_on": lambda arg: sdk_sampling.ALWAYS_ON,
    "always_off": lambda arg: sdk_sampling.ALWAYS_OFF,
    "traceidratio": lambda arg: sdk_sampling.TraceIdRatioBased(arg),
    "parentbased_always_on": lambda arg: sdk_sampling.ParentBased(sdk_sampling.ALWAYS_ON),
    "parentbased_always_off": lambda arg: sdk_sampling.ParentBased(sdk_sampling.ALWAYS_OFF),
    "parentbased_traceidratio": lambda arg: sdk_sampling.ParentBased(
        sdk_sampling.TraceIdRatioBased(arg)
    ),
}


def head_sampler(design: dict):
    """The SDK sampler the design's OTEL_TRACES_SAMPLER and _ARG name."""
    sdk = get(design, "sampling.sdk") or {}
    name = str(sdk.get("OTEL_TRACES_SAMPLER", "parentbased_always_on")).strip().lower()
    if name not in SAMPLERS:
        raise DesignError(
            f"OTEL_TRACES_SAMPLER {name!r}: the simulator knows {', '.join(SAMPLERS)} "
            "(a rate limit keeps a share that depends on traffic, which a scaled-down sample "
            "cannot show)"
        )
    arg = sdk.get("OTEL_TRACES_SAMPLER_ARG", 1.0)
    try:
        ratio = float(arg)
    except (TypeError, ValueError):
        raise DesignError(f"OTEL_TRACES_SAMPLER_ARG {arg!r} is not a number") from None
    if not 0 <= ratio <= 1:
        raise DesignError(f"OTEL_TRACES_SAMPLER_ARG is a ratio from 0 to 1, not {arg!r}")
    return SAMPLERS[name](ratio)


def _head_sample(sampler, spans) -> list:
    """The spans the SDKs record and export: each asked as it starts, parent first."""
    decided: dict[bytes, bool] = {}
    kept = []
    for received in spans:  # the builders write parents before children
        span = received.otlp_span
        trace_id = int.from_bytes(span.trace_id, "big")
        parent = None
        if span.parent_span_id:
            flags = TraceFlags(TraceFlags.SAMPLED if decided.get(span.parent_span_id) else 0)
            context = SpanContext(trace_id, int.from_bytes(span.parent_span_id, "big"),
                                  is_remote=True, trace_flags=flags)  # fmt: skip
            parent = trace.set_span_in_context(NonRecordingSpan(context))
        result = sampler.should_sample(parent, trace_id, span.name)
        decided[span.span_id] = result.decision.is_sampled()
        if decided[span.span_id]:
            kept.append(received)
    return kept


def pipelines(design: dict) -> list[tuple[str, Pipeline]]:
    """Each tier's Collector configuration as the receiver's processor pipeline."""
    out = []
    for tier in TIERS:
        config = get(design, f"backend.{tier}.config")
        if not isinstance(config, dict):
            raise DesignError(f"backend.{tier}.config is missing: a Collector configuration")
        try:
            # A clock that stands still: decisions come when the replay is over (force).
            pipeline = Pipeline.from_collector_config(config, clock=lambda: 0.0)
        except ConfigError as error:
            raise DesignError(f"backend.{tier}.config: {error}") from None
        except (KeyError, TypeError, ValueError) as error:
            raise DesignError(f"backend.{tier}.config: cannot run it ({error})") from None
        sampler = pipeline.tail_sampler
        if sampler is not None and any(p.type == "rate_limiting" for p in sampler.policies):
            raise DesignError(
                f"backend.{tier}.config: a rate_limiting policy keeps a share that depends "
                "on traffic, which the simulator's scaled-down sample cannot show; use "
                "probabilistic for the baseline"
            )
        out.append((tier, pipeline))
    return out


@dataclass
class Stratum:
    kind: str
    stratum: str
    traces: int = 0
    kept: int = 0
    requests: float = 0.0  # real requests a month
    spans: float = 0.0  # stored a month
    bytes: float = 0.0  # stored a month


@dataclass
class Report:
    brief: Brief
    strata: dict = field(default_factory=dict)  # (kind, stratum) -> Stratum
    leaks: list = field(default_factory=list)  # planted secrets found in storage
    server_spans: int = 0  # stored server spans
    server_spans_with_route: int = 0
    failed_traces_kept: int = 0
    failed_traces_still_failing: int = 0  # kept failed traces that still show an error

    def share(self, stratum: str, kind: str | None = None) -> float:
        rows = [s for s in self.strata.values()
                if s.stratum == stratum and (kind is None or s.kind == kind)]  # fmt: skip
        traces = sum(s.traces for s in rows)
        return sum(s.kept for s in rows) / traces if traces else 0.0

    @property
    def spans_per_month(self) -> float:
        return sum(s.spans for s in self.strata.values())

    @property
    def gb_per_month(self) -> float:
        return sum(s.bytes for s in self.strata.values()) / GB

    def cost_per_month(self, retention_days: int = 30) -> float:
        return self.brief.price.cost(self.gb_per_month, retention_days)

    def summary(self, retention_days: int = 30) -> str:
        b = self.brief
        cost = self.cost_per_month(retention_days)
        return "\n".join(
            [
                f"month {b.month}: {b.requests_per_month / 1e9:,.1f} billion requests",
                f"kept: {self.share('failed', 'checkout'):.0%} of failed checkouts, "
                f"{self.share('slow', 'checkout'):.0%} of slow checkouts;",
                f"  of all requests: {self.share('failed'):.0%} of failed, "
                f"{self.share('slow'):.0%} of slow, {self.share('ordinary'):.1%} of ordinary",
                f"stored: {self.spans_per_month / 1e9:,.1f} billion spans, "
                f"{self.gb_per_month:,.0f} GB a month",
                f"cost: ${cost:,.0f} a month against a budget of ${b.budget_per_month:,.0f} "
                f"({cost / b.budget_per_month:.0%})",
                f"leaked secrets: {len(self.leaks)}",
            ]
        )


def show(source, month: int = 0, with_changes: bool = True) -> Report | None:
    """Print what the design stores at ``month`` (0 or 6), with its month_6 changes or
    (``with_changes=False``) without; one line if it cannot run."""
    from .brief import MONTH_6
    from .design import load

    try:
        design = load(source, month=month if with_changes else 0)
        report = run(design, MONTH_6 if month == 6 else BRIEF)
    except DesignError as error:
        print(f"cannot simulate the design yet: {error}")
        return None
    print(report.summary())
    return report


def run(design: dict, brief: Brief = BRIEF, seed: int = 2026) -> Report:
    """Replay the brief's sampled month through ``design``; what storage would hold."""
    sample = traffic.sample(brief, seed=seed)
    sampler = head_sampler(design)
    sent = [s for t in sample for s in _head_sample(sampler, t.spans)]
    # A first pass with the tail samplers alone finds the traces they keep; the second
    # runs every processor, in order, on those traces only. The result is the same: the
    # course's tail-sampling policies read status, timing and trace id, which redaction
    # and the attributes processor never change; but redaction, the slow part, then
    # runs on a few percent of the spans.
    decided = sent
    for _tier, pipeline in pipelines(design):
        if pipeline.tail_sampler is not None:
            only = Pipeline([("tail_sampling", pipeline.tail_sampler)])
            decided = only.add(decided) + only.decide(force=True)
    wanted = {s.otlp_span.trace_id for s in decided}
    sent = [s for s in sent if s.otlp_span.trace_id in wanted]
    for _tier, pipeline in pipelines(design):
        sent = pipeline.add(sent) + pipeline.decide(force=True)
    by_trace = defaultdict(list)
    for received in sent:
        by_trace[received.otlp_span.trace_id].append(received)

    report = Report(brief)
    to_store: dict = defaultdict(list)
    for t in sample:
        row = report.strata.setdefault((t.kind, t.stratum), Stratum(t.kind, t.stratum))
        row.traces += 1
        row.requests += t.weight
        stored = by_trace.get(t.spans[0].otlp_span.trace_id, [])
        if not stored:
            continue
        row.kept += 1
        row.spans += t.weight * len(stored)
        to_store[t.kind, t.stratum].extend(stored)
        blob = b"".join(s.otlp_span.SerializeToString() + repr(s.resource).encode()
                        for s in stored)  # fmt: skip
        report.leaks += [secret for secret in t.secrets if secret.encode() in blob]
        if t.stratum == "failed":
            report.failed_traces_kept += 1
            report.failed_traces_still_failing += any(s.otlp_span.status.code == 2 for s in stored)
        for received in stored:
            if received.otlp_span.kind == received.otlp_span.SPAN_KIND_SERVER:
                report.server_spans += 1
                report.server_spans_with_route += any(
                    kv.key == "http.route" and kv.value.string_value.startswith("/")
                    for kv in received.otlp_span.attributes
                )
    for key, spans in to_store.items():  # bytes as an exporter would send them, in batches
        row = report.strata[key]
        store = SpanStore()
        store.add(spans)
        stored_bytes = sum(r.ByteSize() for r in store.export_requests())
        row.bytes = stored_bytes * row.requests / row.traces
        store.close()
    return report
