"""Checkout's fraud scorer: an asyncio worker that takes jobs from a queue.

This is where ``background_job_loses_context`` plants its bug. The worker is one
long-running asyncio task on an event loop of its own thread; checkout puts each order on
its ``asyncio.Queue`` and waits for the score. The worker task was created once, when the
loop started, so it runs in *that* context, not the request's: a span it starts has no
parent, and each score becomes a trace of its own. (Lesson 02's thread pool lost the
context the same way; here no ``copy_context()`` helps, because the task is not started
per job.) The fix carries the context with the job, as a message queue carries headers:
the OpenTelemetry propagator writes ``traceparent`` into the job, and the worker
continues that trace.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import threading
import zlib

from opentelemetry import propagate, trace


class FraudScorer:
    """Started on first use; ``stop()`` ends the loop and joins its thread."""

    def __init__(self, tracer: trace.Tracer, loses_context: bool, work_ms) -> None:
        self._tracer = tracer
        self._loses_context = loses_context
        self._work_ms = work_ms
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None

    def _start(self) -> None:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            # The worker task is made here, once, in the thread's own empty context.
            self._queue = asyncio.Queue()
            self._worker = self._loop.create_task(self._work())
            self._loop.call_soon(ready.set)
            self._loop.run_forever()

        # A fresh context whatever the Python version (3.14 can let threads inherit one).
        self._thread = threading.Thread(
            target=contextvars.Context().run,
            args=(serve,),
            name="checkout-fraud-scorer",
            daemon=True,
        )
        self._thread.start()
        ready.wait(timeout=5)

    async def _work(self) -> None:
        while True:
            order, carrier, answer = await self._queue.get()
            # A job with no traceparent gives an empty context: the span starts a new trace.
            with self._tracer.start_as_current_span(
                "score fraud",
                context=propagate.extract(carrier),
                attributes={"app.order.id": order["order_id"]},
            ):
                await asyncio.sleep(self._work_ms() / 1000)
                score = zlib.crc32(order["order_id"].encode()) % 100 / 100
            answer.set_result(score)

    def score(self, order: dict, timeout: float = 5.0) -> float:
        """Queue the order for the worker and wait for its score (0 to 1)."""
        with self._lock:
            if self._loop is None:
                self._start()
        carrier: dict[str, str] = {}  # the job's "headers"
        if not self._loses_context:  # planted: without it, the job carries no traceparent
            propagate.inject(carrier)
        answer: concurrent.futures.Future = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (order, carrier, answer))
        return answer.result(timeout=timeout)

    def stop(self) -> None:
        with self._lock:
            if self._loop is None:
                return
            loop, self._loop = self._loop, None
        worker = self._worker

        async def cancel():
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

        asyncio.run_coroutine_threadsafe(cancel(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=5)
        loop.close()
