"""``python -m coursekit.doctor PATH... [--json]``: the trace doctor as a command."""

from __future__ import annotations

import argparse
import os
import sys

from . import check
from .exporting import read_env_file
from .load import LoadError, spans_from
from .report import RULES, Settings

_DEFAULTS = Settings()

EPILOG = "rules (stable ids):\n" + "\n".join(f"  {rule:<28}{text}" for rule, text in RULES.items())
EPILOG += """

exit status: 0 no error, 1 errors found, 2 input it cannot read (or bad flags).
Findings about many traces have a null trace_id and a count. See the module docstring of
coursekit.doctor for what each rule looks for."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        sys.stderr.write(f"doctor: {message} (see --help)\n")
        sys.exit(2)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _rule(text: str) -> str:
    if text not in RULES:
        raise argparse.ArgumentTypeError(f"no rule {text!r}; the rules are {', '.join(RULES)}")
    return text


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m coursekit.doctor",
        description="Find the tracing anti-patterns (too many spans, ids in span names, lost "
        "context, secrets, blocking export, semantic-convention slips) in OTLP/JSON traces.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="OTLP/JSON files: one export request each, or one per line (the Collector's file "
        "exporter); - for stdin; .gz is decompressed",
    )
    p.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    p.add_argument(
        "--max-spans-per-trace",
        type=_positive,
        default=_DEFAULTS.max_spans_per_trace,
        metavar="N",
        help="too-many-spans: more spans in one trace is an error (default %(default)s)",
    )
    p.add_argument(
        "--max-repeated-spans",
        type=_positive,
        default=_DEFAULTS.max_repeated_spans,
        metavar="N",
        help="too-many-spans: more same-named children of one span is a warning "
        "(default %(default)s)",
    )
    p.add_argument(
        "--max-names-per-template",
        type=_positive,
        default=_DEFAULTS.max_names_per_template,
        metavar="N",
        help="high-cardinality-span-name: more distinct names that differ only by ids, in one "
        "service, is an error (default %(default)s)",
    )
    p.add_argument(
        "--max-names-per-service",
        type=_positive,
        default=_DEFAULTS.max_names_per_service,
        metavar="N",
        help="high-cardinality-span-name: more distinct span names in one service is a "
        "warning (default %(default)s)",
    )
    p.add_argument(
        "--disable",
        type=_rule,
        action="append",
        default=[],
        metavar="RULE",
        help="skip a rule (repeatable)",
    )
    p.add_argument(
        "--env",
        action="store_true",
        help="blocking-export: also check this process's OTEL_* environment",
    )
    p.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="FILE",
        help="blocking-export: check the OTEL_* variables of a KEY=VALUE file (repeatable)",
    )
    p.add_argument(
        "--otel-config",
        action="append",
        default=[],
        metavar="FILE",
        help="blocking-export: check an OpenTelemetry declarative configuration file (YAML)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not (args.paths or args.env or args.env_file or args.otel_config):
        parser().error("name at least one OTLP/JSON file (or --env, --env-file, --otel-config)")
    settings = Settings(
        max_spans_per_trace=args.max_spans_per_trace,
        max_repeated_spans=args.max_repeated_spans,
        max_names_per_template=args.max_names_per_template,
        max_names_per_service=args.max_names_per_service,
        disabled=frozenset(args.disable),
    )
    try:
        spans = spans_from(args.paths)
        environments = [read_env_file(path) for path in args.env_file]
        if args.env:
            environments.append(dict(os.environ))
        report = check(spans, settings, environs=environments, config_files=args.otel_config)
    except LoadError as error:
        sys.stderr.write(f"doctor: {error}\n")
        return 2
    except MemoryError:
        sys.stderr.write("doctor: out of memory reading the input; check fewer files at once\n")
        return 2
    print(report.to_json() if args.json else str(report))
    return report.exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
