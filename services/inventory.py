"""Inventory: reserves stock for an order. Its stock lookup can be made slow."""

from __future__ import annotations

import contextvars
import time
from concurrent.futures import ThreadPoolExecutor

from flask import jsonify, request

from .app import create_service_app
from .config import ShopConfig
from .jitter import Jitter
from .telemetry import ServiceTelemetry


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    work_ms = Jitter(config.seed + 3, config.base_latency_ms).work_ms

    def check_warehouse(number: int) -> None:
        with telemetry.tracer.start_as_current_span(
            f"check warehouse {number}", attributes={"app.warehouse": number}
        ):
            time.sleep(work_ms() / 1000)

    def check_warehouses(pool: ThreadPoolExecutor) -> None:
        numbers = range(1, config.warehouses + 1)
        if config.fanout_loses_context:  # the planted bug: workers start with an empty context
            futures = [pool.submit(check_warehouse, n) for n in numbers]
        else:  # the fix: run each task in a copy of this thread's context
            futures = [
                pool.submit(contextvars.copy_context().run, check_warehouse, n) for n in numbers
            ]
        for future in futures:
            future.result()

    @app.post("/reserve")
    def reserve():
        order = request.get_json(force=True)
        item, quantity = order["item"], order["quantity"]
        with telemetry.tracer.start_as_current_span(
            "lookup stock", attributes={"app.item": item, "app.quantity": quantity}
        ):
            time.sleep((work_ms() + config.inventory_slow_ms) / 1000)
            if config.warehouses > 1:
                with ThreadPoolExecutor(config.warehouses) as pool:
                    check_warehouses(pool)
        telemetry.info("reserved %d x %s for order %s", quantity, item, order["order_id"])
        return jsonify(reserved=True, item=item, quantity=quantity)

    return app
