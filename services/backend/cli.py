"""The receiver as a command: ``python -m services.receiver serve|export|load|scrub``
(also ``python -m services.backend.receiver ...``).

    serve  [--port P] [--store FILE] [--config COLLECTOR_YAML]
    export --store FILE [--trace ID] [--service NAME]    OTLP/JSON, one request per line
    load   --store FILE PATH...                           such files, or OTLP/JSON documents
    scrub  --store FILE --config COLLECTOR_YAML           redact what is already stored

Point any OpenTelemetry SDK at ``serve``'s URL with ``OTEL_EXPORTER_OTLP_ENDPOINT=URL`` and
``OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf``. Bad flags or files get one line and exit 2.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from . import otlp
from .processors import ConfigError, Pipeline
from .store import SpanStore, StoreUnavailable

PROG = "python -m services.receiver"


class Fail(Exception):
    """One line for the user, then exit 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="The course's local tracing backend: receive, keep, export, scrub."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="receive OTLP/HTTP on 127.0.0.1")
    serve.add_argument("--port", type=int, default=4318, help="0 picks a free port (default 4318)")
    serve.add_argument("--store", type=Path, help="a SQLite file (default: in memory)")
    serve.add_argument("--config", type=Path, help="a Collector YAML: its trace processors run")
    serve.add_argument(
        "--delay-ms", type=float, default=0, help="answer each export later (slow backend)"
    )
    export = commands.add_parser("export", help="write stored spans as OTLP/JSON lines")
    export.add_argument("--store", type=Path, required=True)
    export.add_argument("--trace", metavar="ID", help="only this trace (32 hex digits)")
    export.add_argument("--service", metavar="NAME", help="only this service's spans")
    load = commands.add_parser("load", help="load OTLP/JSON files into a store")
    load.add_argument("--store", type=Path, required=True)
    load.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    scrub = commands.add_parser("scrub", help="apply a Collector YAML's redaction to a store")
    scrub.add_argument("--store", type=Path, required=True)
    scrub.add_argument("--config", type=Path, required=True)
    return parser


def _existing_store(path: Path) -> SpanStore:
    if not path.is_file():
        raise Fail(f"no store at {path}")
    try:
        return SpanStore(path)
    except ValueError as error:
        raise Fail(str(error)) from None


def _pipeline(path: Path) -> Pipeline:
    try:
        return Pipeline.from_collector_file(path)
    except ConfigError as error:
        raise Fail(str(error)) from None


def serve(args) -> None:
    from ..common.lifecycle import serve_until_interrupted
    from .receiver import Receiver

    if not 0 <= args.port <= 65535:
        raise Fail(f"--port {args.port} is not a port number")
    if args.port:  # werkzeug would print two lines and exit; say it in one
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", args.port))
            except OSError as error:
                raise Fail(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}") from None
    if args.delay_ms < 0:
        raise Fail(f"--delay-ms {args.delay_ms:g} is negative")
    pipeline = _pipeline(args.config) if args.config else None
    try:
        store = SpanStore(args.store)
    except (ValueError, OSError) as error:
        raise Fail(str(error)) from None
    try:
        receiver = Receiver(
            store=store, pipeline=pipeline, port=args.port, answer_delay_ms=args.delay_ms
        )
    except OSError as error:
        raise Fail(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}") from None
    where = str(args.store) if args.store else "memory (use --store FILE to keep them)"
    steps = ", ".join(pipeline.names) if pipeline and pipeline.names else "none"
    serve_until_interrupted(
        receiver,
        f"receiving OTLP/HTTP on {receiver.url}  (traces: {receiver.endpoint})",
        f"storing spans in {where}; processors: {steps}",
        f"point an SDK at it: OTEL_EXPORTER_OTLP_ENDPOINT={receiver.url} "
        "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        "Ctrl-C stops it.",
    )
    print(f"stopped; {len(store)} spans stored", flush=True)
    store.close()


def export(args) -> None:
    store = _existing_store(args.store)
    for request in store.export_requests(trace_id=args.trace, service=args.service):
        sys.stdout.write(otlp.request_to_json(request, indent=None) + "\n")
    sys.stdout.flush()


def _documents(path: Path):
    """The OTLP/JSON documents in a file: one per line, or the whole file as one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            try:
                return [otlp.request_from_json(line) for line in lines]
            except otlp.OtlpError:
                pass  # one document spread over lines
        return [otlp.request_from_json(text)]
    except otlp.OtlpError as error:
        raise Fail(f"{path}: {error}") from None


def load(args) -> None:
    from .receiver import TraceStore

    requests = [(path, _documents(path)) for path in args.paths]  # check all before writing
    try:
        store = SpanStore(args.store)
    except ValueError as error:
        raise Fail(str(error)) from None
    traces = TraceStore(db=store)
    for path, documents in requests:
        before = len(store)
        for document in documents:
            traces.add(document)
        print(f"{path}: {len(store) - before} spans loaded")
    if traces.rejected_spans:
        print(f"{traces.rejected_spans} spans rejected (invalid trace or span ids)")


def scrub(args) -> None:
    pipeline = _pipeline(args.config)
    if not pipeline.rewriters():
        raise Fail(f"{args.config} has no redaction or attributes processor in its traces pipeline")
    store = _existing_store(args.store)
    spans, values = store.rewrite(pipeline.scrub)
    store.close()
    changed = f"{spans} of the stored spans changed, {values} values removed or masked"
    print(f"scrubbed {args.store}: {changed}")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        {"serve": serve, "export": export, "load": load, "scrub": scrub}[args.command](args)
    except Fail as error:
        sys.exit(f"{PROG} {args.command}: {error}")
    except StoreUnavailable as error:
        sys.exit(f"{PROG} {args.command}: the store cannot write: {error}")
    except BrokenPipeError:  # export | head
        sys.stderr.close()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
