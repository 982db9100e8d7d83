"""Checkout: turns a cart into an order; reserves stock with inventory, then charges payment."""

from __future__ import annotations

import itertools
import threading
import time

import requests
from flask import jsonify, request

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


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    order_numbers = itertools.count(1)
    lock = threading.Lock()

    def price(item: str, quantity: int) -> float:
        time.sleep(config.checkout_slow_pricing_ms / 1000)  # the planted slow pricing
        return round(CATALOG[item] * quantity, 2)

    @app.post("/orders")
    def place_order():
        cart = request.get_json(force=True)
        with lock:
            order_id = f"ord-{next(order_numbers):04d}"
        amount = price(cart["item"], cart["quantity"])
        order = {**cart, "order_id": order_id, "amount": amount}
        telemetry.info("order %s: %d x %s, %.2f", order_id, cart["quantity"], cart["item"], amount)

        # requests is instrumented: each call below is a client span carrying `traceparent`.
        reserved = requests.post(f"{urls['inventory']}/reserve", json=order, timeout=5)
        if not reserved.ok:
            telemetry.error("order %s: inventory failed (%d)", order_id, reserved.status_code)
            return jsonify(error="Out of stock", order_id=order_id), 502

        charged = requests.post(f"{urls['payment']}/charge", json=order, timeout=5)
        if not charged.ok:
            error = charged.json().get("error", "Payment failed")
            telemetry.error("order %s: payment failed: %s", order_id, error)
            return jsonify(error=error, order_id=order_id), 502

        telemetry.info("order %s: confirmed", order_id)
        return jsonify(status="confirmed", order_id=order_id, amount=amount)

    return app
