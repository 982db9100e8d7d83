"""Exercise 08: the capstone design, checked by simulation and by structure.

The learner's design is a YAML file (see coursekit/capstone/design.py). The check reads
it, runs the structural checks (coursekit/capstone/structure.py), then replays the
brief's month through it (coursekit/capstone/simulate.py: the SDK's sampler, the
course's tail sampling, redaction and store) and judges what storage would hold:
every failed and every slow checkout, a baseline of at least 1% of ordinary requests,
no planted secret, the fields on-call needs, and a cost within the budget.
``check_month_6`` does the same on the design with its ``month_6`` changes, against the
brief with traffic doubled and more spans per trace.
"""

from __future__ import annotations

import math

import yaml

from ..capstone import structure
from ..capstone.brief import BRIEF, MONTH_6, Brief
from ..capstone.design import DesignError, get, load
from ..capstone.simulate import run
from .harness import NotYet, _callable_trusted
from .report import run_check

Z = 3.0  # binomial standard deviations the measured baseline may fall under the brief's


def _yaml_is_yaml() -> None:
    for name in ("safe_load", "load", "safe_dump"):
        if not _callable_trusted(getattr(yaml, name, None)):
            raise NotYet(f"yaml.{name} is not PyYAML's own any more: restart the kernel.")


def _kept(report, stratum: str) -> str:
    kinds = [k.name for k in report.brief.kinds]
    return ", ".join(f"{report.share(stratum, k):.0%} of {k}" for k in kinds)


def _judge(source, brief: Brief, month: int) -> str:
    _yaml_is_yaml()
    where = f"at month {month}: " if month else ""
    try:
        design = load(source, month=month)
        found = structure.problems(design, brief)
        if found:
            raise NotYet(where + found[0])
        report = run(design, brief)
    except DesignError as error:
        raise NotYet(where + str(error)) from None
    sdk = get(design, "sampling.sdk.OTEL_TRACES_SAMPLER", "parentbased_always_on")
    if report.share("failed", "checkout") < 1:
        why = (f" Head sampling ({sdk}) decides before a checkout fails: keep every trace in "
               "the SDKs and decide in the tail." if "ratio" in str(sdk) or "off" in str(sdk)
               else " Add a status_code policy (status_codes: [ERROR]).")  # fmt: skip
        raise NotYet(f"{where}kept {_kept(report, 'failed')} failed requests: every failed "
                     f"checkout must be kept.{why}")  # fmt: skip
    if report.share("slow", "checkout") < 1:
        raise NotYet(
            f"{where}kept {_kept(report, 'slow')} of the requests slower than the "
            f"{brief.slo_ms:.0f} ms SLO: every slow checkout must be kept (a latency policy "
            f"with threshold_ms at the SLO keeps them, however little they break it)."
        )
    planned = structure.baseline_share(design)
    measured = report.share("ordinary")
    n = sum(s.traces for s in report.strata.values() if s.stratum == "ordinary")
    p = brief.baseline_share
    low = p - Z * math.sqrt(p * (1 - p) / n)
    if planned < brief.baseline_share or measured < low:
        raise NotYet(
            f"{where}the baseline keeps {measured:.2%} of ordinary requests (the design says "
            f"{planned:.2%}): keep at least {brief.baseline_share:.0%} of them, so that slow "
            "and failed traces have ordinary ones to compare with."
        )
    if report.leaks:
        kinds = sorted({secret_kind(s) for s in report.leaks})
        raise NotYet(
            f"{where}{len(report.leaks)} planted secrets reached storage ({', '.join(kinds)}): "
            "none may. Mask them by value (blocked_values) and by key (blocked_key_patterns), "
            "in span attributes, events and status messages."
        )
    if report.server_spans_with_route < report.server_spans or (
        report.failed_traces_still_failing < report.failed_traces_kept
    ):
        raise NotYet(
            f"{where}only {report.server_spans_with_route:,} of {report.server_spans:,} stored "
            "server spans still say their http.route: redaction removed what on-call needs. "
            "Keep route, method, status and service (ignored_keys), mask the rest."
        )
    retention = int(get(design, "backend.storage.retention_days", 30))
    cost = report.cost_per_month(retention)
    if cost > brief.budget_per_month:
        if measured > 0.5:
            raise NotYet(
                f"{where}you keep {measured:.0%} of ordinary requests: ${cost:,.0f} a month "
                f"against a budget of ${brief.budget_per_month:,.0f}. Keep the errors, the slow "
                "traces and a small baseline."
            )
        raise NotYet(
            f"{where}storage costs ${cost:,.0f} a month ({report.gb_per_month:,.0f} GB, "
            f"{retention} days) against a budget of ${brief.budget_per_month:,.0f}. Lower what "
            "you keep of ordinary traffic, or what each span carries; not the errors."
        )
    return (
        f"{where}every failed and slow checkout kept, {measured:.1%} of ordinary requests, "
        f"{report.gb_per_month:,.0f} GB and ${cost:,.0f} a month (budget "
        f"${brief.budget_per_month:,.0f}), no secret stored, and the structure holds."
    )


def secret_kind(secret: str) -> str:
    if "@" in secret:
        return "e-mail addresses"
    if secret.startswith("Bearer"):
        return "bearer tokens"
    if secret.startswith("token="):
        return "tokens in query strings"
    return "card numbers"


def _check(source) -> str:
    return _judge(source, BRIEF, 0)


def _check_month_6(source) -> str:
    return _judge(source, MONTH_6, 6)


def check_design(source) -> None:
    """Grade the design (a path to its YAML file) against the brief."""
    run_check(_check, source)


def check_month_6(source) -> None:
    """Grade the design with its month_6 changes, at doubled traffic and more spans."""
    run_check(_check_month_6, source)
