"""Frontend: the shop's web tier. "Buy Now" is a POST to /checkout."""

from __future__ import annotations

import requests
from flask import jsonify, request
from opentelemetry import trace

from ..common.service_app import create_service_app
from ..common.telemetry import ServiceTelemetry
from .capture import capture_request
from .catalog import CATALOG, DEFAULT_CART
from .config import ShopConfig


def cart_from(body) -> tuple[dict | None, dict | None]:
    """The cart a request body asks for, or what is wrong with it (a JSON error body)."""
    if not isinstance(body, dict):
        return None, {"error": 'Send a JSON object, e.g. {} or {"item": "grinder"}'}
    cart = {**DEFAULT_CART, **body}
    if cart["item"] not in CATALOG:
        return None, {"error": f"Unknown item {cart['item']!r}", "items": sorted(CATALOG)}
    if not isinstance(cart["quantity"], int) or cart["quantity"] < 1:
        return None, {"error": "quantity must be a whole number, 1 or more"}
    return cart, None


def relay_test_calls(cases: list, telemetry: ServiceTelemetry) -> None:
    """The W3C Trace Context validation-service protocol, for the conformance suite: POST
    each case's ``arguments`` as JSON to its ``url``. The requests instrumentation
    propagates the current trace context on each call, which is what the suite checks."""
    for case in cases:
        try:
            requests.post(case["url"], json=case.get("arguments", []), timeout=5)
        except requests.RequestException as error:
            telemetry.error("test call to %s failed: %s", case["url"], error)


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)

    @app.post("/checkout")
    def buy_now():
        if config.spans_carry_secrets:  # planted: debug capture of headers and body
            capture_request(trace.get_current_span(), request.headers, request.get_data())
        cart, error = cart_from(request.get_json(silent=True))
        if error is not None:
            return jsonify(error), 400
        telemetry.info("customer %s clicked Buy Now: %s", cart["customer"], cart["item"])
        placed = requests.post(f"{urls['checkout']}/orders", json=cart, timeout=10)
        answer = placed.json()
        if not placed.ok:
            telemetry.error("customer %s: checkout failed: %s", cart["customer"], answer["error"])
            return jsonify(error=answer["error"], order_id=answer.get("order_id")), 502
        telemetry.info("customer %s: order %s confirmed", cart["customer"], answer["order_id"])
        return jsonify(answer)

    @app.post("/test")
    def trace_context_test():
        """The body is a JSON array of {"url": ..., "arguments": [...]}."""
        cases = request.get_json(silent=True)
        if not isinstance(cases, list) or not all(
            isinstance(case, dict) and isinstance(case.get("url"), str) for case in cases
        ):
            return jsonify(error='Send a JSON array of {"url": ..., "arguments": [...]}'), 400
        relay_test_calls(cases, telemetry)
        return "", 200

    return app
