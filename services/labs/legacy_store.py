"""A legacy order store with a DB-API-like driver (PEP 249's ``cursor.arraysize``).

Only the order-history service uses it. It stands for the old database driver of a
legacy service: each trip to the database server costs ``ROUND_TRIP_S`` of waiting, so
the driver fetches ``arraysize`` rows per trip and ``fetchone()`` serves them from its
buffer, as real drivers do. A customer's orders take one trip, unless someone sets
``arraysize`` to 1: then every row is a trip of its own.
"""

from __future__ import annotations

import random
import time

from ..shop.catalog import ITEMS  # no imports of its own: safe before Flask is patched

#: Past orders per customer: (order id, item, quantity, amount).
ROWS_PER_CUSTOMER = 8
#: How long one trip to the database server waits (a fast local network).
ROUND_TRIP_S = 0.003
#: Rows per trip unless a caller says otherwise (DB-API's ``arraysize``).
DEFAULT_ARRAYSIZE = 100


def _orders(customer: str) -> list[tuple[str, str, int, float]]:
    draw = random.Random(customer)  # the same history for the same customer, every run
    return [
        (f"ord-{n:04d}", draw.choice(ITEMS), draw.randint(1, 3), round(draw.uniform(10, 300), 2))
        for n in range(1, ROWS_PER_CUSTOMER + 1)
    ]


class Cursor:
    def __init__(self) -> None:
        self.arraysize = DEFAULT_ARRAYSIZE
        self.round_trips = 0
        self._pending: list = []  # rows still on the server
        self._buffer: list = []  # rows fetched, not yet handed out

    def _trip(self) -> None:
        self.round_trips += 1
        time.sleep(ROUND_TRIP_S)

    def execute(self, query: str, customer: str) -> None:
        self._trip()
        self._pending, self._buffer = _orders(customer), []

    def fetchone(self) -> tuple | None:
        if not self._buffer and self._pending:  # one trip brings the next arraysize rows
            self._trip()
            self._buffer = self._pending[: self.arraysize]
            self._pending = self._pending[self.arraysize :]
        return self._buffer.pop(0) if self._buffer else None


class Connection:
    def cursor(self) -> Cursor:
        return Cursor()


def connect() -> Connection:
    return Connection()
