"""Payment: charges the card through an external payment provider, which can hang."""

from __future__ import annotations

import itertools
import threading
import time

from flask import jsonify, request
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from .app import create_service_app
from .config import ShopConfig
from .jitter import Jitter
from .telemetry import ServiceTelemetry

PROVIDER = "acme-payments"


class ProviderTimeout(TimeoutError):
    """The payment provider did not answer in time."""


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    work_ms = Jitter(config.seed + 4, config.base_latency_ms).work_ms
    lock = threading.Lock()
    charge_numbers = itertools.count(1)

    def authorize(card: str, amount: float, hangs: bool) -> str:
        """Call the provider. Simulated: a short wait, or a hang until our timeout."""
        with telemetry.tracer.start_as_current_span(
            "payment-provider authorize",
            kind=SpanKind.CLIENT,
            attributes={"peer.service": PROVIDER, "app.amount": amount},
        ):
            if hangs:
                time.sleep(config.payment_provider_timeout_s)
                raise ProviderTimeout(
                    f"{PROVIDER} did not answer within {config.payment_provider_timeout_s} s"
                )
            time.sleep(work_ms() / 1000)
            return "auth-ok"

    @app.post("/charge")
    def charge():
        order = request.get_json(force=True)
        card, amount = order["card"], order["amount"]
        span = trace.get_current_span()  # the server span the Flask instrumentation made
        if config.manual_spans:
            span.set_attributes({"app.payment.provider": PROVIDER, "app.order.value": amount})
        for attempt in range(1, config.payment_retries + 2):
            with lock:
                number = next(charge_numbers)
            try:
                authorize(card, amount, config.payment_hangs(number, card))
                break
            except ProviderTimeout as timeout:
                telemetry.error(
                    "charge of %.2f on card ending %s failed: %s", amount, card[-4:], timeout
                )
                if attempt > config.payment_retries:
                    if config.manual_spans:
                        span.set_attribute("error.type", type(timeout).__name__)
                    return jsonify(error="Payment timeout"), 504
                if config.manual_spans:  # why there is a second authorize span
                    span.add_event(
                        "payment.retry",
                        {"app.payment.attempt": attempt + 1, "error.type": type(timeout).__name__},
                    )
        telemetry.info("charged %.2f on card ending %s", amount, card[-4:])
        return jsonify(charged=True, amount=amount)

    return app
