"""A legacy order store with a DB-API-like driver: rows come back one ``fetchone()`` at a time.

Only the order-history service uses it. It stands for the old database driver of a legacy
service: nothing wrong with it, but it is called in a hot loop.
"""

from __future__ import annotations

import random

from ..shop.catalog import ITEMS  # no imports of its own: safe before Flask is patched

#: Past orders per customer: (order id, item, quantity, amount).
_ROWS_PER_CUSTOMER = 60


def _orders(customer: str) -> list[tuple[str, str, int, float]]:
    draw = random.Random(customer)  # the same history for the same customer, every run
    return [
        (f"ord-{n:04d}", draw.choice(ITEMS), draw.randint(1, 3), round(draw.uniform(10, 300), 2))
        for n in range(1, _ROWS_PER_CUSTOMER + 1)
    ]


class Cursor:
    def __init__(self) -> None:
        self._rows: list = []

    def execute(self, query: str, customer: str) -> None:
        self._rows = list(reversed(_orders(customer)))

    def fetchone(self) -> tuple | None:
        return self._rows.pop() if self._rows else None


class Connection:
    def cursor(self) -> Cursor:
        return Cursor()


def connect() -> Connection:
    return Connection()
