"""Checkout: turns a cart into an order; reserves stock with inventory, then charges payment."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import requests
from flask import jsonify, request
from opentelemetry import trace

from .app import create_service_app
from .config import ShopConfig
from .telemetry import ServiceTelemetry

#: Unit prices, in the shop's currency.
CATALOG = {
    "espresso-machine": 249.00,
    "coffee-beans": 14.50,
    "milk-frother": 39.90,
    "grinder": 119.00,
}

#: Loyalty tier per customer: business context worth a span attribute (a customer id is not:
#: it is personal data, and one value per customer).
CUSTOMER_TIERS = {"c-1042": "gold", "c-2001": "silver"}


@dataclass
class _Answer:
    status_code: int
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    def json(self):
        return json.loads(self.body)


def post(url: str, payload: dict) -> requests.Response:
    return requests.post(url, json=payload, timeout=5)


def post_without_tracing(url: str, payload: dict) -> _Answer:
    """The planted bug: a plain urllib call, which no instrumentation knows about."""
    data = json.dumps(payload).encode()
    call = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(call, timeout=5) as answer:
            return _Answer(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        return _Answer(error.code, error.read())


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    order_numbers = itertools.count(1)
    lock = threading.Lock()

    def price(item: str, quantity: int) -> float:
        time.sleep(config.checkout_slow_pricing_ms / 1000)  # the planted slow pricing
        return round(CATALOG[item] * quantity, 2)

    def price_order(cart: dict) -> float:
        if not config.manual_spans:
            return price(cart["item"], cart["quantity"])
        # Manual: a span of its own for the pricing step, with what the business knows.
        with telemetry.tracer.start_as_current_span("price order") as span:
            amount = price(cart["item"], cart["quantity"])
            span.set_attributes(
                {
                    "app.order.item": cart["item"],
                    "app.order.item_count": cart["quantity"],
                    "app.order.value": amount,
                }
            )
            return amount

    @app.post("/orders")
    def place_order():
        cart = request.get_json(force=True)
        with lock:
            order_id = f"ord-{next(order_numbers):04d}"
        amount = price_order(cart)
        order = {**cart, "order_id": order_id, "amount": amount}
        if config.manual_spans:  # enrich the server span the Flask instrumentation made
            trace.get_current_span().set_attributes(
                {
                    "app.order.id": order_id,
                    "app.order.value": amount,
                    "app.customer.tier": CUSTOMER_TIERS.get(cart.get("customer"), "standard"),
                }
            )
        telemetry.info("order %s: %d x %s, %.2f", order_id, cart["quantity"], cart["item"], amount)

        # requests is instrumented: each call is a client span carrying `traceparent`.
        call = post_without_tracing if config.checkout_drops_context else post
        reserved = call(f"{urls['inventory']}/reserve", order)
        if not reserved.ok:
            telemetry.error("order %s: inventory failed (%d)", order_id, reserved.status_code)
            return jsonify(error="Out of stock", order_id=order_id), 502

        charged = call(f"{urls['payment']}/charge", order)
        if not charged.ok:
            error = charged.json().get("error", "Payment failed")
            telemetry.error("order %s: payment failed: %s", order_id, error)
            if config.manual_spans:
                trace.get_current_span().set_attribute("error.type", error)
            return jsonify(error=error, order_id=order_id), 502

        telemetry.info("order %s: confirmed", order_id)
        return jsonify(status="confirmed", order_id=order_id, amount=amount)

    return app
