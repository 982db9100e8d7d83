"""An instrumentation of the legacy store: one span per ``fetchone()``. The planted culprit.

It is a real instrumentor (``BaseInstrumentor``), registered under the
``opentelemetry_instrumentor`` entry point in ``pyproject.toml``, so ``opentelemetry-instrument``
loads it like any other, and ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=legacy_store`` turns it
off. Someone wanted each row's fetch timed on its own: it puts a span on a hot loop (a
request that reads 8 rows makes 9 spans: the last fetch finds none), and, so that each
span would time one trip to the server, it sets the cursor's ``arraysize`` to 1. That
turns the driver's one trip for all rows into one per row: the cost is waiting, not CPU, and it
grows with the rows read.
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
        execute, fetchone = legacy_store.Cursor.execute, legacy_store.Cursor.fetchone

        @functools.wraps(execute)
        def traced_execute(cursor, *args, **kwargs):
            cursor.arraysize = 1  # planted: "one row per trip, so each span times a trip"
            return execute(cursor, *args, **kwargs)

        @functools.wraps(fetchone)
        def traced_fetchone(cursor):
            with tracer.start_as_current_span("legacy_store fetchone") as span:
                row = fetchone(cursor)
                span.set_attribute("db.system.name", "legacy_store")
                return row

        traced_execute.__wrapped_by_otel__ = execute
        traced_fetchone.__wrapped_by_otel__ = fetchone
        legacy_store.Cursor.execute = traced_execute
        legacy_store.Cursor.fetchone = traced_fetchone

    def _uninstrument(self, **kwargs):
        for name in ("execute", "fetchone"):
            method = getattr(legacy_store.Cursor, name)
            setattr(legacy_store.Cursor, name, method.__wrapped_by_otel__)
