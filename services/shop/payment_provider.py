"""The external payment provider payment charges through (exercise 04's providers too).

No imports: exercise 04 and the lab props use it without loading Flask.
"""

from __future__ import annotations

#: The provider's name, as it appears on spans (``service.peer.name``).
PAYMENT_PROVIDER = "acme-payments"


class ProviderTimeout(TimeoutError):
    """A payment provider did not answer in time."""
