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

    @app.post("/orders")
    def place_order():
        cart = request.get_json(force=True)
        with lock:
            order_id = f"ord-{next(order_numbers):04d}"
        amount = price(cart["item"], cart["quantity"])
        order = {**cart, "order_id": order_id, "amount": amount}
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
            return jsonify(error=error, order_id=order_id), 502

        telemetry.info("order %s: confirmed", order_id)
        return jsonify(status="confirmed", order_id=order_id, amount=amount)

    return app
