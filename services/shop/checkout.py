"""Checkout: turns a cart into an order; reserves stock with inventory, then charges payment."""

from __future__ import annotations

import itertools
import threading
import time

from flask import jsonify, request
from opentelemetry import trace

from ..common.http import post, post_without_tracing
from ..common.jitter import Jitter
from ..common.service_app import create_service_app
from ..common.telemetry import ServiceTelemetry
from .catalog import CATALOG, CUSTOMER_TIERS
from .config import ShopConfig
from .fraud import FraudScorer


def price(item: str, quantity: int, config: ShopConfig) -> float:
    """The order's amount. No span of its own: its time is checkout's self time."""
    time.sleep(config.checkout_slow_pricing_ms / 1000)  # planted: checkout_slow_pricing_ms
    return round(CATALOG[item] * quantity, 2)


def price_order(cart: dict, config: ShopConfig, tracer: trace.Tracer) -> float:
    """Price the cart; with manual spans, in a span of its own with what the business knows."""
    if not config.manual_spans:
        return price(cart["item"], cart["quantity"], config)
    with tracer.start_as_current_span("price order") as span:
        amount = price(cart["item"], cart["quantity"], config)
        span.set_attributes(
            {
                "app.order.item": cart["item"],
                "app.order.item_count": cart["quantity"],
                "app.order.value": amount,
            }
        )
        return amount


def describe_order(order: dict) -> dict:
    """Business attributes for the server span the Flask instrumentation made (manual)."""
    return {
        "app.order.id": order["order_id"],
        "app.order.value": order["amount"],
        "app.customer.tier": CUSTOMER_TIERS.get(order.get("customer"), "standard"),
    }


def call_for(config: ShopConfig):
    """How checkout calls inventory and payment."""
    if config.checkout_drops_context:  # planted: an HTTP client nobody instrumented
        return post_without_tracing
    return post  # requests is instrumented: a client span carrying `traceparent`


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    order_numbers = itertools.count(1)
    lock = threading.Lock()
    call = call_for(config)
    scorer = None
    if config.fraud_check:
        work_ms = Jitter(config.seed + 5, config.base_latency_ms).work_ms
        scorer = FraudScorer(telemetry.tracer, config.background_job_loses_context, work_ms)
        telemetry.on_shutdown.append(scorer.stop)

    @app.post("/orders")
    def place_order():
        cart = request.get_json(force=True)
        with lock:
            order_id = f"ord-{next(order_numbers):04d}"
        amount = price_order(cart, config, telemetry.tracer)
        order = {**cart, "order_id": order_id, "amount": amount}
        server_span = trace.get_current_span()
        if config.ids_in_span_names:  # planted: the raw path, not the route, names the span
            server_span.update_name(f"POST /orders/{order_id}")
        if config.manual_spans:
            server_span.set_attributes(describe_order(order))
        telemetry.info("order %s: %d x %s, %.2f", order_id, cart["quantity"], cart["item"], amount)

        reserved = call(f"{urls['inventory']}/reserve", order)
        if not reserved.ok:
            telemetry.error("order %s: inventory failed (%d)", order_id, reserved.status_code)
            return jsonify(error="Out of stock", order_id=order_id), 502

        if scorer is not None:
            telemetry.info("order %s: fraud score %.2f", order_id, scorer.score(order))

        charged = call(f"{urls['payment']}/charge", order)
        if not charged.ok:
            error = charged.json().get("error", "Payment failed")
            telemetry.error("order %s: payment failed: %s", order_id, error)
            # error.type stays the instrumentation's: "502", a low-cardinality class (the
            # semconv), not the downstream's message, which belongs in the log line.
            return jsonify(error=error, order_id=order_id), 502

        telemetry.info("order %s: confirmed", order_id)
        return jsonify(status="confirmed", order_id=order_id, amount=amount)

    return app
