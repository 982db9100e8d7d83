"""Payment providers and orders, simulated in-process, for exercise 04.

A provider either answers with a receipt or times out, always the same way for the same
card, so a grader knows which charges fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..shop.payment_provider import ProviderTimeout

__all__ = [
    "Order",
    "PaymentFailed",
    "PaymentProvider",
    "ProviderTimeout",
    "Receipt",
    "charge_order_uninstrumented",
]


class PaymentFailed(RuntimeError):
    """No provider could charge the order."""


@dataclass(frozen=True)
class Receipt:
    provider: str
    amount: float


@dataclass(frozen=True)
class Order:
    id: str
    value: float
    item_count: int
    customer_tier: str
    card: str  # personal data: never on a span
    email: str  # personal data: never on a span


class PaymentProvider:
    def __init__(self, name: str, hangs_for_cards: tuple[str, ...] = ()) -> None:
        self.name = name
        self._hangs_for = set(hangs_for_cards)
        self.charges = 0

    def charge(self, card: str, amount: float) -> Receipt:
        self.charges += 1
        if card in self._hangs_for:
            raise ProviderTimeout(f"{self.name} did not answer within 0.3 s")
        return Receipt(self.name, amount)

    def __repr__(self) -> str:
        return f"<PaymentProvider {self.name}>"


def charge_order_uninstrumented(order: Order, providers: list[PaymentProvider]) -> Receipt:
    """The checkout step as it is today: try each provider in turn until one answers."""
    for provider in providers:
        try:
            return provider.charge(order.card, order.value)
        except ProviderTimeout:
            continue
    raise PaymentFailed(f"no provider could charge order {order.id}")
