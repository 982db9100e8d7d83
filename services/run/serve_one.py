"""Run ONE service as its own process: ``python -m services.run.serve_one checkout --port 5002``.

The service code only uses the OpenTelemetry *API*. Run it plainly and it traces nothing;
run the very same command under ``opentelemetry-instrument`` and it is traced, configured
only by ``OTEL_*`` environment variables (zero-code instrumentation):

    OTEL_SERVICE_NAME=checkout OTEL_TRACES_EXPORTER=otlp \\
        opentelemetry-instrument python -m services.run.serve_one checkout --port 5002 \\
        --peer inventory=http://127.0.0.1:5003 --peer payment=http://127.0.0.1:5004
"""

from __future__ import annotations

import argparse
import json
import sys

from ..common.lifecycle import ThreadServer, serve_until_interrupted
from ..common.telemetry import ServiceTelemetry
from ..shop.config import ShopConfig
from .apps import ALL_SERVICES, create_app


def _peer(text: str) -> tuple[str, str]:
    name, _, url = text.partition("=")
    if not url.startswith("http://"):
        raise argparse.ArgumentTypeError(f"expected NAME=http://HOST:PORT, got {text!r}")
    return name, url


def _config(text: str) -> ShopConfig:
    try:
        knobs = json.loads(text)
        return ShopConfig().replace(**{k: tuple(v) if isinstance(v, list) else v
                                       for k, v in knobs.items()})  # fmt: skip
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(f"bad --knobs {text!r}: {error}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.run.serve_one", description=__doc__)
    parser.add_argument("service", choices=sorted(ALL_SERVICES))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--peer", type=_peer, action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--knobs", type=_config, default=ShopConfig(), metavar="JSON",
                        dest="config", help="ShopConfig knobs, as a JSON object")  # fmt: skip
    args = parser.parse_args(argv)

    # No provider of its own: spans go through the global API, to whatever SDK
    # opentelemetry-instrument set up, or nowhere.
    telemetry = ServiceTelemetry(args.service, None, echo_logs=True, global_api=True)
    app = create_app(args.service, telemetry, args.config, dict(args.peer))
    try:
        server = ThreadServer(app, args.service, port=args.port)
    except OSError as error:
        url = f"http://127.0.0.1:{args.port}"
        parser.exit(1, f"{args.service}: cannot serve on {url}: {error.strerror}\n")
    serve_until_interrupted(
        server, f"{args.service} serving on {server.url}", stopping=f"{args.service} stopping"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
