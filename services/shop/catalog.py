"""What the shop sells, and who buys by default."""

from __future__ import annotations

#: Unit prices, in the shop's currency. The item names live here only.
CATALOG = {
    "espresso-machine": 249.00,
    "coffee-beans": 14.50,
    "milk-frother": 39.90,
    "grinder": 119.00,
}
ITEMS: tuple[str, ...] = tuple(CATALOG)

#: What an empty JSON body buys.
DEFAULT_CART = {
    "customer": "c-1042",
    "item": "espresso-machine",
    "quantity": 1,
    "card": "4111-1111-1111-1111",
}

#: Loyalty tier per customer: business context worth a span attribute (a customer id is not:
#: it is personal data, and one value per customer).
CUSTOMER_TIERS = {"c-1042": "gold", "c-2001": "silver"}
