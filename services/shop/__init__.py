"""The shop's four services, one file each: frontend, checkout, inventory, payment.

``config.py`` holds the knobs (each named after the bug it plants) and the one list of
services; ``catalog.py`` what the shop sells; ``payment_provider.py`` whom payment calls.
Nothing is imported here: see ``services/__init__.py`` for why.
"""
