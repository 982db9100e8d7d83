"""The shop: four Flask services on the seed's "Buy Now" path.

frontend -> checkout -> inventory, then payment. Start all four in this process with
``start_shop()`` (or ``with Shop() as shop:``); run them in the foreground with
``python -m services``. The knobs live in ``ShopConfig``.

- ``shop/``: the four services, one file each, their knobs (``config.py``) and catalog;
- ``backend/``: the stand-in tracing backend (OTLP receiver, tail sampling, recorder);
- ``run/``: ways to run the shop (in this process, one process per service, one process);
- ``labs/``: props that one lesson or exercise uses;
- ``common/``: the lifecycle of anything that serves, telemetry set-up, HTTP, delays.

Importing this package sets ``OTEL_SEMCONV_STABILITY_OPT_IN=http`` (unless it is set)
and imports nothing else, nor does any of its subpackages:
``opentelemetry-instrument`` loads our ``labs.legacy_store_instrumentation`` before it
patches Flask, and a module that had already done ``from flask import Flask`` would keep
the unpatched class.
"""

from __future__ import annotations

import importlib
import os

# The stable HTTP attribute names. The Flask and requests instrumentations read this once
# per process, when the first instrumentor of any kind starts, so it is set as early as
# the shop can: on import (see common/semconv.py; a value of the learner's own is kept).
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

_EXPORTS = {
    "ShopConfig": "services.shop.config",
    "Shop": "services.run.in_process",
    "start_shop": "services.run.in_process",
    "exporting_to": "services.run.in_process",
    "stop_all_shops": "services.run.in_process",
    "ShopProcess": "services.run.shop_process",
    "ShopProcesses": "services.run.processes",
    "ServiceProcess": "services.run.processes",
    "Receiver": "services.backend.receiver",
    "start_receiver": "services.backend.receiver",
    "SpanStore": "services.backend.store",
    "ReceiverProcess": "services.backend.process",
    "HeaderRecorder": "services.backend.recorder",
    "ProcessGroup": "services.run.processes",
    "TailSampler": "services.backend.tail_sampling",
    "RateLimitingSampler": "services.labs.samplers",
    "ThreadServer": "services.common.lifecycle",
    "make_tracer_provider": "services.common.telemetry",
    "otel_settings": "services.common.environment",
    "otlp_env": "services.common.environment",
    "uninstrumented_app": "services.run.apps",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'services' has no attribute {name!r}")
