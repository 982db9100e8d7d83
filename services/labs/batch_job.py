"""A short-lived job, instrumented in code: ``python -m services.labs.batch_job --ending flush``.

It reconciles a few payments, one span each, through a ``BatchSpanProcessor``, which
exports in the background every few seconds. How the process ends decides whether those
spans ever leave it:

- ``normal``: Python exits normally; the SDK's atexit hook shuts the provider down, which
  flushes the batch;
- ``os-exit``: ``os._exit()``, as a forked worker (multiprocessing, gunicorn) or a killed
  container ends: no atexit hook runs, and the batch is lost;
- ``flush``: the job calls ``provider.force_flush()`` itself before ``os._exit()``.

Exports OTLP/HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.labs.batch_job", description=__doc__)
    parser.add_argument("--ending", choices=("normal", "os-exit", "flush"), required=True)
    parser.add_argument("--payments", type=int, default=3)
    args = parser.parse_args(argv)

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "reconcile-job"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("shop.reconcile-job")
    for number in range(1, args.payments + 1):
        with tracer.start_as_current_span("reconcile payment", attributes={"app.payment": number}):
            pass
    print(f"reconciled {args.payments} payments; ending: {args.ending}", flush=True)

    if args.ending == "flush":
        provider.force_flush()
    if args.ending in ("os-exit", "flush"):
        os._exit(0)


def run(ending: str, endpoint_base: str) -> str:
    """Run the job in a child process exporting to ``endpoint_base``; return what it printed."""
    from ..common.environment import environment_without_otel  # the child needs none of it

    env = {**environment_without_otel(), "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint_base}
    done = subprocess.run(
        [sys.executable, "-m", "services.labs.batch_job", "--ending", ending],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return (done.stdout + done.stderr).strip()


if __name__ == "__main__":
    main()
