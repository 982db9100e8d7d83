"""The shop: four Flask services on the seed's "Buy Now" path.

frontend -> checkout -> inventory, then payment. Start all four in this process with
``start_shop()`` (or ``with Shop() as shop:``); run them in the foreground with
``python -m services``. The knobs live in ``ShopConfig``.

Importing this package imports nothing else: ``opentelemetry-instrument`` loads our
``legacy_store`` instrumentation (a submodule) before it patches Flask, and a module that
had already done ``from flask import Flask`` would keep the unpatched class.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ShopConfig": "services.config",
    "Shop": "services.shop",
    "start_shop": "services.shop",
    "stop_all_shops": "services.shop",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'services' has no attribute {name!r}")
