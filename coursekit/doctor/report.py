"""Findings, the thresholds that produce them, and the report that shows them."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields

#: How bad a finding is, worst first. Only errors make the command exit 1.
SEVERITIES = ("error", "warning", "info")

#: Rule id -> what it looks for. The ids are stable: scripts may disable or filter by them.
RULES = {
    "too-many-spans": "a trace with too many spans, or a span per loop iteration",
    "high-cardinality-span-name": "span names that carry ids, so every request gets a new name",
    "broken-propagation": "a call that arrived at the next service as the root of a new trace",
    "sensitive-data": "cards, passwords, tokens, API keys or e-mails in names or attributes",
    "blocking-export": "a span processor that exports on the request's own thread",
    "span-naming": "span names that do not follow the semantic conventions for their kind",
    "deprecated-attribute": "old semantic-convention attribute names with a stable replacement",
    "required-attributes": "attributes the semantic conventions require on a span of its kind",
}


@dataclass(frozen=True)
class Settings:
    """The thresholds. Each is a flag of ``python -m coursekit.doctor`` and a keyword of
    ``doctor()``; the defaults are documented in the package docstring."""

    max_spans_per_trace: int = 500
    max_repeated_spans: int = 20
    max_names_per_template: int = 10
    max_names_per_service: int = 100
    disabled: frozenset = frozenset()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "disabled" and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{f.name} must be a whole number of at least 1, not {value!r}")
        unknown = set(self.disabled) - set(RULES)
        if unknown:
            raise ValueError(
                f"unknown rule {', '.join(sorted(unknown))}: the rules are {', '.join(RULES)}"
            )

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    trace_id: str | None  # None for a finding about many traces (or none: a configuration)
    service: str | None
    message: str
    hint: str
    count: int = 1  # how many spans (or calls, or traces) showed it
    examples: tuple = ()  # up to three trace ids that show it

    def to_dict(self) -> dict:
        data = asdict(self)
        data["examples"] = list(self.examples)
        return data


def _order(finding: Finding) -> tuple:
    return (
        SEVERITIES.index(finding.severity),
        finding.rule,
        finding.service or "",
        finding.message,
    )


@dataclass
class Report:
    """What the doctor found in some spans and configurations.

    ``findings`` is the list; ``errors`` and ``warnings`` filter it; ``exit_code`` is what
    the command returns (1 when there is an error). Shown in a notebook as a table.
    """

    findings: list[Finding]
    span_count: int = 0
    trace_count: int = 0
    services: tuple = ()
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        self.findings = sorted(self.findings, key=_order)

    def __repr__(self) -> str:
        return f"<trace doctor report: {self.summary()}>"

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def rules(self) -> set[str]:
        """The ids of the rules that found something."""
        return {f.rule for f in self.findings}

    def by_rule(self, rule: str) -> list[Finding]:
        if rule not in RULES:
            raise ValueError(f"no rule {rule!r}: the rules are {', '.join(RULES)}")
        return [f for f in self.findings if f.rule == rule]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps([f.to_dict() for f in self.findings], indent=indent)

    def summary(self) -> str:
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
        found = ", ".join(_count(n, s) for s, n in counts.items())
        return (
            f"{_count(self.span_count, 'span')} in {_count(self.trace_count, 'trace')} from "
            f"{_count(len(self.services), 'service')}: {found}"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        for f in self.findings:
            where = " ".join(
                x for x in (f.service, f"trace {f.trace_id}" if f.trace_id else "") if x
            )
            lines.append(f"{f.severity:<8}{f.rule:<28}{where}")
            lines.append(f"        {f.message}")
            lines.append(f"        hint: {f.hint}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colors = {"error": "#D62728", "warning": "#E4A100", "info": "#4C78A8"}
        rows = []
        for f in self.findings:
            if f.trace_id:
                trace = f.trace_id[:8] + "…"
            else:  # many traces, or a configuration
                trace = f"many ({f.count}×)" if f.examples else "—"
            rows.append(
                "<tr>"
                f'<td style="color:{colors[f.severity]};font-weight:bold">{f.severity}</td>'
                f"<td><code>{html.escape(f.rule)}</code></td>"
                f"<td>{html.escape(f.service or '')}</td>"
                f"<td>{html.escape(trace)}</td>"
                f"<td>{_code(f.message)}<br><em>hint:</em> {_code(f.hint)}</td>"
                "</tr>"
            )
        head = (
            "<tr><th>severity</th><th>rule</th><th>service</th><th>trace</th><th>finding</th></tr>"
        )
        table = (
            f'<table style="text-align:left">{head}{"".join(rows)}</table>'
            if rows
            else "<p>No findings.</p>"
        )
        return (
            f"<div><p><strong>Trace doctor</strong>: {html.escape(self.summary())}</p>{table}</div>"
        )


def _code(text: str) -> str:
    """Escaped HTML, with `backquoted` names as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
