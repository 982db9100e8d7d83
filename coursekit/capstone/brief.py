"""The capstone's brief: the platform, its traffic and its constraints, in numbers.

Every figure a design is checked against lives here, once: the notebook prints them, the
simulator (simulate.py) replays traffic shaped by them, the structural checks
(structure.py) size queues with them. The month-6 scenario is the same brief with traffic
doubled and more spans per trace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

SECONDS_PER_MONTH = 86_400 * 30
GB = 1e9


@dataclass(frozen=True)
class Price:
    """A vendor's public price for stored traces, and where it was read."""

    vendor: str
    per_gb_written: float  # dollars
    per_gb_processed: float  # dollars, charged on the same bytes as they arrive
    included_retention_days: int
    per_gb_extra_30_days: float  # each further 30 days of retention
    source: str
    read: str

    @property
    def per_gb(self) -> float:
        return self.per_gb_written + self.per_gb_processed

    def cost(self, gigabytes: float, retention_days: int) -> float:
        included = math.ceil(self.included_retention_days / 30)
        extra = max(0, math.ceil(retention_days / 30) - included)
        return gigabytes * (self.per_gb + extra * self.per_gb_extra_30_days)


#: Grafana Cloud Traces (Tempo), paid tier. The page lists $0.05 per GB processed, $0.40
#: per GB written after a free 50 GB a month (ignored here: it is 0.1% of this platform's
#: volume), 30 days of retention included for paid accounts, $0.10 per GB for each
#: further 30 days. Prices change: read the page again before you quote them.
GRAFANA_CLOUD_TRACES = Price(
    vendor="Grafana Cloud Traces",
    per_gb_written=0.40,
    per_gb_processed=0.05,
    included_retention_days=30,
    per_gb_extra_30_days=0.10,
    source="https://grafana.com/docs/grafana-cloud/cost-management-and-billing/"
    "understand-your-invoice/logs-invoice/",
    read="November 2026",
)


@dataclass(frozen=True)
class Kind:
    """One kind of request: its share of traffic, and how often it fails or is slow."""

    name: str
    share: float
    failed: float  # share of these requests whose trace carries an error
    slow: float  # share slower than the SLO (and not failed)


@dataclass(frozen=True)
class Brief:
    services: int = 60
    languages: tuple = ("Go", "Java", "Python")
    peak_requests_per_second: float = 20_000  # both regions together
    regions: tuple = ("eu-west", "us-east")
    region_peak_requests_per_second: float = 12_000  # the regions peak at different hours
    average_requests_per_second: float = 8_000  # over the month, both regions
    kinds: tuple = field(default_factory=lambda: (
        Kind("browse", 0.70, failed=0.003, slow=0.005),
        Kind("search", 0.22, failed=0.003, slow=0.010),
        Kind("checkout", 0.08, failed=0.010, slow=0.020),
    ))  # fmt: skip
    slo_ms: float = 800  # checkout p99
    timeout_s: float = 10  # the gateway gives up on any request after this long
    budget_per_month: float = 1_500  # dollars, for stored traces
    price: Price = GRAFANA_CLOUD_TRACES
    min_retention_days: int = 14  # incident reviews happen within two weeks
    baseline_share: float = 0.01  # keep at least 1% of ordinary traffic to compare with
    oncall: int = 8
    #: The busiest instance of any service at peak: spans per second its SDK exports.
    busiest_instance_spans_per_second: float = 1_500
    span_growth: float = 1.0  # spans per trace, relative to month 0
    month: int = 0

    @property
    def requests_per_month(self) -> float:
        return self.average_requests_per_second * SECONDS_PER_MONTH

    def replace(self, **changes) -> Brief:
        return replace(self, **changes)


BRIEF = Brief()
#: Six months on: traffic doubled, and the teams added spans (about 1.5 times as many).
MONTH_6 = BRIEF.replace(
    peak_requests_per_second=2 * BRIEF.peak_requests_per_second,
    region_peak_requests_per_second=2 * BRIEF.region_peak_requests_per_second,
    average_requests_per_second=2 * BRIEF.average_requests_per_second,
    busiest_instance_spans_per_second=3 * BRIEF.busiest_instance_spans_per_second,
    span_growth=1.5,
    month=6,
)


def describe(brief: Brief = BRIEF) -> str:
    """The brief as text: what the notebook prints."""
    p = brief.price
    kinds = ", ".join(
        f"{k.name} {k.share:.0%} ({k.failed:.1%} fail, {k.slow:.1%} slower than "
        f"{brief.slo_ms:.0f} ms)"
        for k in brief.kinds
    )
    return "\n".join(
        [
            f"Platform: {brief.services} services in {', '.join(brief.languages)}, "
            f"{len(brief.regions)} regions ({', '.join(brief.regions)}), on-call team of "
            f"{brief.oncall}.",
            f"Traffic: {brief.peak_requests_per_second:,.0f} requests/s at peak "
            f"(up to {brief.region_peak_requests_per_second:,.0f} in one region), "
            f"{brief.average_requests_per_second:,.0f}/s on average: "
            f"{brief.requests_per_month / 1e9:,.1f} billion requests a month.",
            f"Requests: {kinds}.",
            f"Checkout SLO: p99 {brief.slo_ms:.0f} ms; every request times out after "
            f"{brief.timeout_s:.0f} s.",
            "Keep: every failed checkout and every checkout slower than the SLO; at least "
            f"{brief.baseline_share:.0%} of ordinary requests; traces for at least "
            f"{brief.min_retention_days} days.",
            "PCI: card numbers, tokens and e-mail addresses never reach storage.",
            f"Budget: ${brief.budget_per_month:,.0f} a month for stored traces, at "
            f"${p.per_gb_processed:.2f} + ${p.per_gb_written:.2f} per GB (processed + written; "
            f"{p.vendor}, {p.included_retention_days} days included, "
            f"${p.per_gb_extra_30_days:.2f}/GB per further 30 days, as listed in {p.read}).",
        ]
    )
