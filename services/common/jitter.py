"""Seeded work times, so the shop's latencies look real but repeat from run to run."""

from __future__ import annotations

import random
import threading


class Jitter:
    def __init__(self, seed: int, base_ms: float) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.base_ms = base_ms

    def work_ms(self) -> float:
        """The base time plus up to half of it, drawn from the seeded generator."""
        with self._lock:
            return self.base_ms * (1 + self._random.random() / 2)
