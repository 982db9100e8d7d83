"""Frontend: the shop's web tier. "Buy Now" is a POST to /checkout."""

from __future__ import annotations

import requests
from flask import jsonify, request

from .app import create_service_app
from .checkout import CATALOG
from .config import ShopConfig
from .telemetry import ServiceTelemetry

#: What an empty JSON body buys.
DEFAULT_CART = {
    "customer": "c-1042",
    "item": "espresso-machine",
    "quantity": 1,
    "card": "4111-1111-1111-1111",
}


def create_app(telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]):
    app = create_service_app(telemetry)

    @app.post("/checkout")
    def buy_now():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error='Send a JSON object, e.g. {} or {"item": "grinder"}'), 400
        cart = {**DEFAULT_CART, **body}
        if cart["item"] not in CATALOG:
            return jsonify(error=f"Unknown item {cart['item']!r}", items=sorted(CATALOG)), 400
        if not isinstance(cart["quantity"], int) or cart["quantity"] < 1:
            return jsonify(error="quantity must be a whole number, 1 or more"), 400

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
        """The W3C Trace Context validation-service protocol, for the conformance suite.

        The body is a JSON array of {"url": ..., "arguments": [...]}; for each element, POST
        ``arguments`` as JSON to ``url``. The requests instrumentation propagates the
        current trace context on each call, which is what the suite checks.
        """
        cases = request.get_json(silent=True)
        if not isinstance(cases, list) or not all(
            isinstance(case, dict) and isinstance(case.get("url"), str) for case in cases
        ):
            return jsonify(error='Send a JSON array of {"url": ..., "arguments": [...]}'), 400
        for case in cases:
            try:
                requests.post(case["url"], json=case.get("arguments", []), timeout=5)
            except requests.RequestException as error:
                telemetry.error("test call to %s failed: %s", case["url"], error)
        return "", 200

    return app
