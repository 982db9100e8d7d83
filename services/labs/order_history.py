"""Order history: a customer's past orders, read from the legacy store one row at a time.

The fifth service, used only by lesson 04's overhead lab: the "legacy service" that slowed
down once it was auto-instrumented.
"""

from __future__ import annotations

import time

from flask import jsonify, request

from ..common.jitter import Jitter
from ..common.service_app import create_service_app
from ..common.telemetry import ServiceTelemetry
from ..shop.config import ShopConfig
from . import legacy_store


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    work_ms = Jitter(config.seed + 5, config.base_latency_ms).work_ms

    @app.get("/history")
    def history():
        customer = request.args.get("customer", "c-1042")
        cursor = legacy_store.connect().cursor()
        cursor.execute("SELECT * FROM orders WHERE customer = ?", customer)
        orders = []
        while (row := cursor.fetchone()) is not None:
            order_id, item, quantity, amount = row
            orders.append({"order_id": order_id, "item": item, "quantity": quantity,
                           "amount": amount})  # fmt: skip
        time.sleep(work_ms() / 1000)  # rendering the page
        telemetry.info("history of %s: %d orders", customer, len(orders))
        return jsonify(customer=customer, orders=orders)

    return app
