"""Run the shop in the foreground: ``python -m services``.

Honours the standard OpenTelemetry variables (OTEL_TRACES_EXPORTER,
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER, ...).
Knobs: ``--payment-timeout-every N``, ``--inventory-slow-ms MS``,
``--checkout-slow-pricing-ms MS``, ``--no-tracing``.
"""

from __future__ import annotations

import argparse

from .common.environment import (
    check_environment,
    exporter_names,
    provider_from_environment,
    use_default_exporter,
)
from .common.lifecycle import serve_until_interrupted
from .run.in_process import Shop
from .shop.config import ShopConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--payment-timeout-every",
        type=int,
        default=0,
        metavar="N",
        help="the payment provider hangs on every Nth charge (0: never)",
    )
    parser.add_argument(
        "--inventory-slow-ms",
        type=int,
        default=0,
        metavar="MS",
        help="extra milliseconds on every stock lookup",
    )
    parser.add_argument(
        "--checkout-slow-pricing-ms",
        type=int,
        default=0,
        metavar="MS",
        help="extra milliseconds checkout spends pricing each order",
    )
    parser.add_argument("--no-tracing", action="store_true", help="run without OpenTelemetry")
    args = parser.parse_args(argv)

    config = ShopConfig(
        payment_timeout_every=args.payment_timeout_every,
        inventory_slow_ms=args.inventory_slow_ms,
        checkout_slow_pricing_ms=args.checkout_slow_pricing_ms,
        tracing=not args.no_tracing,
    )
    use_default_exporter()
    if config.tracing:
        try:
            check_environment()
        except (RuntimeError, ValueError) as error:
            parser.exit(2, f"python -m services: bad OpenTelemetry setting: {error}\n")
    shop = Shop(config, provider_factory=provider_from_environment, echo_logs=True)
    exporters = ", ".join(exporter_names()) or "none" if config.tracing else "tracing off"
    # The URLs are known before the shop starts: each server binds as it is made.
    shop.launch()
    serve_until_interrupted(
        shop,
        *(f"{name:<10} {url}" for name, url in shop.urls.items()),
        f"exporting traces to: {exporters}",
        f"try: curl -X POST {shop.url()}/checkout -H 'Content-Type: application/json' -d '{{}}'",
        "Ctrl-C stops the shop.",
    )


if __name__ == "__main__":
    main()
