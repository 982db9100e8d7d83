"""Run the shop in the foreground: ``python -m services``.

Honours the standard OpenTelemetry variables (OTEL_TRACES_EXPORTER,
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER, ...).
Knobs: ``--payment-timeout-every N``, ``--inventory-slow-ms MS``,
``--checkout-slow-pricing-ms MS``, ``--no-tracing``; lesson 07's anti-patterns:
``--span-per-row``, ``--ids-in-span-names``, ``--fraud-check`` (its jobs lose the context
unless ``--job-carries-context``), ``--spans-carry-secrets``.
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

#: Lesson 07's anti-patterns, each a flag named after its knob: (flag, knob, help).
ANTI_PATTERNS = (
    ("--span-per-row", "span_per_row", "inventory makes a span per stock row"),
    ("--ids-in-span-names", "ids_in_span_names", "checkout's span names carry the order id"),
    ("--fraud-check", "fraud_check", "checkout asks an asyncio fraud scorer about each order"),
    ("--spans-carry-secrets", "spans_carry_secrets", "headers, bodies and cards go in spans"),
)


def parser() -> argparse.ArgumentParser:
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
    for flag, _knob, text in ANTI_PATTERNS:
        parser.add_argument(flag, action="store_true", help=text)
    parser.add_argument(
        "--job-carries-context",
        action="store_true",
        help="with --fraud-check: the fix, each job carries traceparent",
    )
    return parser


def config_from(args: argparse.Namespace) -> ShopConfig:
    return ShopConfig(
        payment_timeout_every=args.payment_timeout_every,
        inventory_slow_ms=args.inventory_slow_ms,
        checkout_slow_pricing_ms=args.checkout_slow_pricing_ms,
        tracing=not args.no_tracing,
        background_job_loses_context=not args.job_carries_context,
        **{knob: getattr(args, knob) for _flag, knob, _text in ANTI_PATTERNS},
    )


def main(argv: list[str] | None = None) -> None:
    parser_ = parser()
    args = parser_.parse_args(argv)
    config = config_from(args)
    use_default_exporter()
    if config.tracing:
        try:
            check_environment()
        except (RuntimeError, ValueError) as error:
            parser_.exit(2, f"python -m services: bad OpenTelemetry setting: {error}\n")
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
