"""Inventory's stock table, read row by row: where ``span_per_row`` plants a span per row."""

from __future__ import annotations

import zlib

from opentelemetry import trace


def _row(item: str, number: int) -> int:
    """One row's quantity: a few microseconds of real work, the same on every run."""
    return zlib.crc32(f"{item}:{number}".encode()) % 7


def read_stock(item: str, rows: int, tracer: trace.Tracer, span_per_row: bool) -> int:
    """Units in stock over ``rows`` rows of the item. Runs inside the "lookup stock" span."""
    total = 0
    if span_per_row:  # planted: a span per loop iteration
        for number in range(rows):
            with tracer.start_as_current_span("read stock row", attributes={"app.row": number}):
                total += _row(item, number)
    else:  # the fix: the loop is one unit of work; say how big it was on the span around it
        total = sum(_row(item, number) for number in range(rows))
        trace.get_current_span().set_attribute("app.stock.rows_read", rows)
    return total
