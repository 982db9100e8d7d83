"""The trace doctor: the anti-patterns of lesson 07, found in anyone's traces, like a linter.

From a shell, on OTLP/JSON files (one export request, or one per line as the Collector's
``file`` exporter writes them; ``-`` reads stdin, ``.gz`` is decompressed)::

    python -m coursekit.doctor traces.json [more.jsonl ...] [--json]

In a notebook, on spans (SDK spans, the kit's span records, an in-memory exporter, a shop
or a receiver) or paths::

    report = ck.doctor(shop.spans(), tracer_provider=provider)
    report            # a table; report.findings is the list; str(report) is the text

Rules, with stable ids:

- ``too-many-spans``: error when a trace has more spans than ``max_spans_per_trace``
  (default 500); warning when one parent has more children of the same name, ids aside,
  than ``max_repeated_spans`` (default 20): a span per loop iteration.
- ``high-cardinality-span-name``: error when one service has more than
  ``max_names_per_template`` (default 10) distinct span names that differ only by ids
  (numbers, hex, UUIDs, e-mails); warning when it has more than ``max_names_per_service``
  (default 100) distinct names in all.
- ``broken-propagation``: error when a client span has no server span under it while a
  root server span of another service, the same call by its method, port, path or RPC
  method, starts inside its time window; when a producer's message is received as a new
  trace on the same destination; when a trace starts at a service that is normally called
  (more calls arrive at it with context than traces start there). Warning when a new trace
  starts inside a service while it handles another trace's request (a thread or task that
  lost the context). A client span to an untraced dependency (a payment provider, a
  database) is not a finding.
- ``sensitive-data``: error for a secret in a span name, status message, span, event, link
  or resource attribute: by key (password, token, secret, API key, Authorization, cookie,
  card number, e-mail) and by value (Luhn-valid card numbers with a card network's prefix,
  JWTs, bearer and basic credentials, known API-key formats, passwords in URLs or in
  ``key=value`` text, e-mail addresses). Redacted values (``***``, ``[REDACTED]``...) pass.
  A finding names the key and the kind of secret, never the value.
- ``blocking-export``: from a configuration, not from spans: a live ``TracerProvider``
  with a ``SimpleSpanProcessor`` in front of a network exporter (error), an unknown
  exporter (warning) or the console (info); an ``OTEL_*`` environment whose declarative
  configuration file puts a ``simple`` processor in front of a network exporter.
- Semantic conventions, in the spirit of Tracetest's analyzer, all warnings:
  ``span-naming`` (``{method} {http.route}`` for HTTP servers, ``{method}`` for clients, no
  query text in database span names), ``deprecated-attribute`` (``http.method``,
  ``net.host.name``, ``peer.service``... and their stable names), ``required-attributes``
  (``http.request.method``, ``http.response.status_code``... on HTTP spans,
  ``db.system.name`` on database spans, ``service.name`` on the resource).

A finding about many traces is one finding with a count and a null ``trace_id``. The
command exits 0 when there is no error, 1 when there are errors, 2 when it cannot read its
input (one line on stderr).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from . import exporting
from .load import LoadError, Span, paused_gc, spans_from
from .report import RULES, SEVERITIES, Finding, Report, Settings
from .rules import check_spans

__all__ = [
    "RULES",
    "SEVERITIES",
    "Finding",
    "LoadError",
    "Report",
    "Settings",
    "Span",
    "check",
    "doctor",
]


def check(
    spans: list[Span],
    settings: Settings | None = None,
    *,
    tracer_providers=(),
    environs=(),
    config_files=(),
) -> Report:
    """The report for spans already loaded, plus any configurations to examine: SDK
    providers, ``OTEL_*`` environments (mappings) and declarative configuration files."""
    settings = settings or Settings()
    with paused_gc():
        findings = check_spans(spans, settings)
    if settings.enabled("blocking-export"):
        for provider in tracer_providers:
            findings.extend(exporting.check_provider(provider))
        for environ in environs:
            findings.extend(exporting.check_environment(environ))
        for path in config_files:
            findings.extend(exporting.check_config_file(path))
    return Report(
        findings=findings,
        span_count=len(spans),
        trace_count=len({s.trace_id for s in spans}),
        services=tuple(sorted({s.service for s in spans})),
        settings=settings,
    )


def doctor(
    spans_or_paths=(),
    *,
    tracer_provider=None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike | None = None,
    disable=(),
    **thresholds,
) -> Report:
    """Check spans (or OTLP/JSON files) and, if given, a provider's or environment's export.

    ``spans_or_paths``: SDK spans, ``SpanRecord``s, paths, an in-memory exporter, a shop or
    a receiver, or a list of these. ``tracer_provider``: one SDK provider or several.
    ``environ``: ``os.environ`` or any mapping of ``OTEL_*`` variables. ``disable``: rule
    ids to skip. ``thresholds``: ``max_spans_per_trace``, ``max_repeated_spans``,
    ``max_names_per_template``, ``max_names_per_service`` (see the module's docstring).
    """
    settings = Settings(
        disabled=frozenset([disable] if isinstance(disable, str) else disable), **thresholds
    )
    if tracer_provider is None:
        providers = []
    elif isinstance(tracer_provider, Mapping):
        providers = list(tracer_provider.values())
    elif isinstance(tracer_provider, (list, tuple, set)):
        providers = list(tracer_provider)
    else:
        providers = [tracer_provider]
    return check(
        spans_from(spans_or_paths),
        settings,
        tracer_providers=providers,
        environs=[environ] if environ is not None else [],
        config_files=[config_file] if config_file else [],
    )
