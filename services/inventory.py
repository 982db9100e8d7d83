"""Inventory: reserves stock for an order. Its stock lookup can be made slow."""

from __future__ import annotations

import random
import threading
import time

from flask import jsonify, request

from .app import create_service_app
from .config import ShopConfig
from .telemetry import ServiceTelemetry


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    jitter = random.Random(config.seed + 3)
    jitter_lock = threading.Lock()

    def work_ms() -> float:
        with jitter_lock:
            return config.base_latency_ms * (1 + jitter.random() / 2)

    @app.post("/reserve")
    def reserve():
        order = request.get_json(force=True)
        item, quantity = order["item"], order["quantity"]
        with telemetry.tracer.start_as_current_span(
            "lookup stock", attributes={"app.item": item, "app.quantity": quantity}
        ):
            time.sleep((work_ms() + config.inventory_slow_ms) / 1000)
        telemetry.info("reserved %d x %s for order %s", quantity, item, order["order_id"])
        return jsonify(reserved=True, item=item, quantity=quantity)

    return app
