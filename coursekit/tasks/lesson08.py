"""Lesson 08's "your turn" checks: what the budget buys, and the gateway's routing.

The budget check compares with the brief's own price (coursekit/capstone/brief.py) and
names the usual slips: one of the two per-GB charges only, dollars for gigabytes. The
routing check puts the learner's ``exporters`` into the model design's gateway (its
pipeline exporting to every exporter given) and runs the capstone's structural check.
"""

from __future__ import annotations

import copy
import math

from ..capstone.brief import BRIEF
from ..capstone.design import load
from ..capstone.structure import routing
from ..checks.harness import plain
from ..checks.report import NotYet, run_check
from ..exercises import SOLUTIONS


def _check_storage_gb(gb) -> str:
    if isinstance(gb, bool) or not isinstance(gb, int | float) or not math.isfinite(gb):
        raise NotYet(f"storage_gb is {gb!r}: a number of gigabytes a month, such as 1_000")
    price = BRIEF.price
    budget = BRIEF.budget_per_month
    right = budget / price.per_gb
    if math.isclose(gb, budget / price.per_gb_written, rel_tol=0.01):
        raise NotYet(
            f"{gb:,.0f} GB pays only the ${price.per_gb_written:.2f} written: every GB is "
            f"also processed (${price.per_gb_processed:.2f}) as it arrives. Add both."
        )
    if math.isclose(gb, budget * price.per_gb, rel_tol=0.01):
        raise NotYet(f"{gb:,.0f} is the budget times the price: divide the budget by it.")
    if math.isclose(gb, budget, rel_tol=0.01):
        raise NotYet(f"{gb:,.0f} is the budget in dollars: how many GB does it buy?")
    if not math.isclose(gb, right, rel_tol=0.01):
        raise NotYet(
            f"{gb:,.0f} GB a month: at ${price.per_gb:.2f} per GB that costs "
            f"${gb * price.per_gb:,.0f}, against a budget of ${budget:,.0f}."
        )
    return (
        f"${budget:,.0f} / ${price.per_gb:.2f} per GB = {right:,.0f} GB a month, "
        f"{right / 30:,.0f} GB a day, for everything the sampler tier keeps."
    )


def check_storage_gb(gb) -> None:
    """Your turn: the GB a month the budget buys at the brief's price."""
    run_check(_check_storage_gb, gb)


def _check_gateway(exporters) -> str:
    exporters = plain(exporters)
    if not isinstance(exporters, dict) or not exporters:
        raise NotYet(
            f"exporters is {exporters!r}: a mapping of exporter name to its settings, as "
            "under exporters: in a Collector configuration"
        )
    design = copy.deepcopy(load(SOLUTIONS / "08_capstone_design.yaml"))
    gateway = design["backend"]["gateway"]["config"]
    gateway["exporters"] = exporters
    gateway["service"]["pipelines"]["traces"]["exporters"] = list(exporters)
    hint = routing(design, BRIEF)
    if hint:
        raise NotYet(hint)
    return "all spans of a trace reach one tail-sampling Collector: it decides on whole traces."


def check_gateway(exporters) -> None:
    """Your turn: the gateway's exporters, routing by trace id to the sampler tier."""
    run_check(_check_gateway, exporters)
