"""What every part shares: the one lifecycle of anything that serves (``lifecycle.py``),
telemetry set-up (``telemetry.py``, ``environment.py``, and ``sdk_private.py``, the one
wrapper of private SDK code), the Flask app each service starts from
(``service_app.py``), HTTP helpers (``http.py``) and seeded delays (``jitter.py``).
Nothing is imported here."""
