"""Which module builds each service's Flask app, for every way of running the shop."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

from ..common.telemetry import ServiceTelemetry
from ..shop.config import SERVICES, ShopConfig

#: A service outside the shop, served the same way: lesson 04's overhead lab.
LAB_SERVICES = {"order-history": "services.labs.order_history"}

#: Every service a runner can start.
ALL_SERVICES = (*SERVICES, *LAB_SERVICES)


def create_app(
    service: str, telemetry: ServiceTelemetry, config: ShopConfig, urls: dict[str, str]
) -> Flask:
    """The service's app, from its module's ``create_app`` (``urls``: its peers' URLs)."""
    if service not in ALL_SERVICES:
        raise ValueError(f"no service {service!r}: choose from {', '.join(ALL_SERVICES)}")
    module = import_module(LAB_SERVICES.get(service, f"services.shop.{service}"))
    return module.create_app(telemetry, config, urls)


def uninstrumented_app(
    service: str, config: ShopConfig | None = None, urls: dict[str, str] | None = None
) -> Flask:
    """One service's app with no tracing at all, for a lesson to instrument by hand."""
    telemetry = ServiceTelemetry(service, None)
    return create_app(service, telemetry, config or ShopConfig(), dict(urls or {}))
