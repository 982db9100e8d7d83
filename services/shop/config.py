"""The shop's knobs, in one place.

Each fault knob is named after the problem it plants (in the style of Jaeger HotROD's
``--fix-*`` flags), so a lesson reads "plant it, find it in the trace, turn it off, compare".
Everything is deterministic by default: faults follow a fixed schedule and delays come
from a seeded random generator, so a lesson's checked outputs are the same on every run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

#: The shop's services in the order requests flow, and whom each one calls: the one list.
CALLS: dict[str, tuple[str, ...]] = {
    "frontend": ("checkout",),
    "checkout": ("inventory", "payment"),
    "inventory": (),
    "payment": (),
}
SERVICES: tuple[str, ...] = tuple(CALLS)


@dataclass(frozen=True)
class ShopConfig:
    """How the shop behaves: ``ShopConfig(payment_timeout_every=3)``."""

    # --- planted faults ---------------------------------------------------------------
    #: The payment provider hangs on every Nth charge (1 = every charge, 0 = never).
    #: Payment gives up after ``payment_provider_timeout_s`` and checkout fails with
    #: "Payment timeout", the error the seed's customer saw at 3:42 PM.
    payment_timeout_every: int = 0
    #: The provider also hangs for these card numbers, whatever the schedule says.
    payment_timeout_cards: tuple[str, ...] = ()
    #: Checkout calls inventory and payment with an HTTP client nobody instrumented
    #: (``urllib``), so no ``traceparent`` leaves it: one checkout splits into three traces.
    checkout_drops_context: bool = False
    #: Inventory checks stock in this many warehouses, in parallel on a thread pool.
    warehouses: int = 1
    #: The thread pool's workers do not get the request's context, so each warehouse check
    #: starts a trace of its own. Only matters with ``warehouses`` above 1.
    fanout_loses_context: bool = True
    #: How long payment waits for the provider before it gives up, in seconds.
    payment_provider_timeout_s: float = 0.3
    #: Inventory's stock lookup takes this many extra milliseconds on every reservation.
    inventory_slow_ms: int = 0
    #: Checkout prices each order this many milliseconds too slowly, in code with no span
    #: of its own: the time shows up as checkout's self time.
    checkout_slow_pricing_ms: int = 0

    # --- lesson 07's anti-patterns: each knob plants one, False is the fix ----------------
    #: Inventory reads its stock table row by row and wraps every row in a span of its own
    #: (``stock.py``): a span per loop iteration. Fixed: one span that counts the rows.
    span_per_row: bool = False
    #: How many rows inventory's stock lookup reads per reservation.
    stock_rows: int = 30
    #: Checkout renames its server span after the raw path with the order id in it,
    #: ``POST /orders/ord-0007``, instead of the route: one new span name per order.
    ids_in_span_names: bool = False
    #: Checkout asks a fraud scorer, an asyncio worker of its own, about every order
    #: (``fraud.py``), and waits for its score before it charges.
    fraud_check: bool = False
    #: The fraud scorer's jobs do not carry the request's context, so each score starts a
    #: trace of its own. Only matters with ``fraud_check``. Fixed: the job carries
    #: ``traceparent`` like a message header, and the worker continues that trace.
    background_job_loses_context: bool = True
    #: The frontend records the request's Authorization and Cookie headers and its raw body
    #: on its span, and payment records the card number and a debugging note with it
    #: (``capture.py``): secrets and personal data in every trace.
    spans_carry_secrets: bool = False

    # --- normal behaviour -------------------------------------------------------------
    #: After a provider timeout, payment tries the charge again this many times.
    payment_retries: int = 0
    #: Typical work time of each step, in milliseconds; the seeded jitter adds up to half of it.
    base_latency_ms: int = 8
    #: Seed for span/trace ids and for latency jitter.
    seed: int = 42

    # --- telemetry --------------------------------------------------------------------
    #: Turn OpenTelemetry on or off for all four services (logs then carry no trace ids).
    tracing: bool = True
    #: Add the business context no instrumentation library can know: a span around
    #: pricing, order and customer attributes, retry events (lesson 04's manual spans).
    manual_spans: bool = False
    #: Service names, in the order requests flow.
    services: tuple[str, ...] = field(default=SERVICES, repr=False)

    def replace(self, **changes) -> ShopConfig:
        """A copy with some knobs changed: ``config.replace(tracing=False)``."""
        return dataclasses.replace(self, **changes)

    def payment_hangs(self, charge_number: int, card: str) -> bool:
        """Whether the provider hangs on this charge (charges are numbered from 1)."""
        if card in self.payment_timeout_cards:
            return True
        every = self.payment_timeout_every
        return every > 0 and charge_number % every == 0
