"""Payment: charges the card through an external payment provider, which can hang."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

from flask import jsonify, request
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from ..common.jitter import Jitter
from ..common.service_app import create_service_app
from ..common.telemetry import ServiceTelemetry
from .capture import capture_charge
from .config import ShopConfig
from .payment_provider import PAYMENT_PROVIDER, ProviderTimeout

#: error.type for a provider timeout: the exception's class name, one low-cardinality value
#: (the form the Python instrumentations use: ``type(exception).__qualname__``).
ERROR_TYPE = ProviderTimeout.__qualname__


def authorize(
    amount: float, hangs: bool, config: ShopConfig, tracer: trace.Tracer, work_ms: Callable
) -> str:
    """Call the provider. Simulated: a short wait, or a hang until our timeout."""
    with tracer.start_as_current_span(
        "payment-provider authorize",
        kind=SpanKind.CLIENT,
        # service.peer.name: the semconv's name for the service called (was peer.service).
        attributes={"service.peer.name": PAYMENT_PROVIDER, "app.amount": amount},
    ) as span:
        if hangs:  # planted: payment_timeout_every / payment_timeout_cards
            time.sleep(config.payment_provider_timeout_s)
            span.set_attribute("error.type", ERROR_TYPE)
            raise ProviderTimeout(
                f"{PAYMENT_PROVIDER} did not answer within {config.payment_provider_timeout_s} s"
            )
        time.sleep(work_ms() / 1000)
        return "auth-ok"


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    work_ms = Jitter(config.seed + 4, config.base_latency_ms).work_ms
    lock = threading.Lock()
    charge_numbers = itertools.count(1)

    def next_charge_hangs(card: str) -> bool:
        with lock:
            return config.payment_hangs(next(charge_numbers), card)

    @app.post("/charge")
    def charge():
        order = request.get_json(force=True)
        card, amount = order["card"], order["amount"]
        span = trace.get_current_span()  # the server span the Flask instrumentation made
        if config.spans_carry_secrets:  # planted: the card and the customer on the span
            capture_charge(span, order)
        if config.manual_spans:
            span.set_attributes(
                {"app.payment.provider": PAYMENT_PROVIDER, "app.order.value": amount}
            )
        for attempt in range(1, config.payment_retries + 2):
            try:
                authorize(amount, next_charge_hangs(card), config, telemetry.tracer, work_ms)
                break
            except ProviderTimeout as timeout:
                telemetry.error(
                    "charge of %.2f on card ending %s failed: %s", amount, card[-4:], timeout
                )
                if attempt > config.payment_retries:
                    # No error.type here: on an HTTP server span the Flask instrumentation
                    # sets it to the status code ("504"), the stable semconv's class.
                    return jsonify(error="Payment timeout"), 504
                if config.manual_spans:  # why there is a second authorize span
                    span.add_event(
                        "payment.retry",
                        {"app.payment.attempt": attempt + 1, "error.type": ERROR_TYPE},
                    )
        telemetry.info("charged %.2f on card ending %s", amount, card[-4:])
        return jsonify(charged=True, amount=amount)

    return app
