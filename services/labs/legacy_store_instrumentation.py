"""An instrumentation of the legacy store: one span per ``fetchone()``. The planted culprit.

It is a real instrumentor (``BaseInstrumentor``), registered under the
``opentelemetry_instrumentor`` entry point in ``pyproject.toml``, so ``opentelemetry-instrument``
loads it like any other, and ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=legacy_store`` turns it
off. Someone thought a span per row would help debug slow queries: it puts a span on a
hot loop, and a request that reads 60 rows now makes 61 spans (the last fetch finds none).
"""

from __future__ import annotations

import functools

from opentelemetry import trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from . import legacy_store


class LegacyStoreInstrumentor(BaseInstrumentor):
    def instrumentation_dependencies(self):
        return ()  # it instruments our own module: no third-party package to check

    def _instrument(self, **kwargs):
        tracer = trace.get_tracer(__name__, tracer_provider=kwargs.get("tracer_provider"))
        fetchone = legacy_store.Cursor.fetchone

        @functools.wraps(fetchone)
        def traced_fetchone(cursor):
            with tracer.start_as_current_span("legacy_store fetchone") as span:
                row = fetchone(cursor)
                span.set_attribute("db.system.name", "legacy_store")
                return row

        traced_fetchone.__wrapped_by_otel__ = fetchone
        legacy_store.Cursor.fetchone = traced_fetchone

    def _uninstrument(self, **kwargs):
        legacy_store.Cursor.fetchone = legacy_store.Cursor.fetchone.__wrapped_by_otel__
