"""Inventory: reserves stock for an order. Its stock lookup can be made slow."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import jsonify, request
from opentelemetry import trace

from ..common.jitter import Jitter
from ..common.service_app import create_service_app
from ..common.telemetry import ServiceTelemetry
from .config import ShopConfig
from .stock import read_stock


def check_warehouse(number: int, tracer: trace.Tracer, work_ms: Callable[[], float]) -> None:
    with tracer.start_as_current_span(
        f"check warehouse {number}", attributes={"app.warehouse": number}
    ):
        time.sleep(work_ms() / 1000)


def check_warehouses(
    pool: ThreadPoolExecutor, config: ShopConfig, tracer: trace.Tracer, work_ms
) -> None:
    """Check every warehouse in parallel, one task each on the thread pool."""
    numbers = range(1, config.warehouses + 1)
    if config.fanout_loses_context:  # planted: workers start with an empty context
        futures = [pool.submit(check_warehouse, n, tracer, work_ms) for n in numbers]
    else:  # the fix: run each task in a copy of this thread's context
        futures = [
            pool.submit(contextvars.copy_context().run, check_warehouse, n, tracer, work_ms)
            for n in numbers
        ]
    for future in futures:
        future.result()


def lookup_stock(item: str, quantity: int, config: ShopConfig, tracer, work_ms) -> None:
    with tracer.start_as_current_span(
        "lookup stock", attributes={"app.item": item, "app.quantity": quantity}
    ):
        time.sleep((work_ms() + config.inventory_slow_ms) / 1000)  # planted: inventory_slow_ms
        read_stock(item, config.stock_rows, tracer, config.span_per_row)
        if config.warehouses > 1:
            with ThreadPoolExecutor(config.warehouses) as pool:
                check_warehouses(pool, config, tracer, work_ms)


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)
    work_ms = Jitter(config.seed + 3, config.base_latency_ms).work_ms

    @app.post("/reserve")
    def reserve():
        order = request.get_json(force=True)
        item, quantity = order["item"], order["quantity"]
        lookup_stock(item, quantity, config, telemetry.tracer, work_ms)
        telemetry.info("reserved %d x %s for order %s", quantity, item, order["order_id"])
        return jsonify(reserved=True, item=item, quantity=quantity)

    return app
