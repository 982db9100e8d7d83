"""The shop: four Flask services on the seed's "Buy Now" path.

frontend -> checkout -> inventory, then payment. Start all four in this process with
``start_shop()`` (or ``with Shop() as shop:``); run them in the foreground with
``python -m services``. The knobs live in ``ShopConfig``.
"""

from .config import ShopConfig
from .shop import Shop, start_shop, stop_all_shops

__all__ = ["Shop", "ShopConfig", "start_shop", "stop_all_shops"]
