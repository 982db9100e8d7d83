"""Props that one lesson or exercise uses: lesson 04's overhead lab (``order_history.py``,
``legacy_store.py`` and its planted instrumentation) and its short-lived job
(``batch_job.py``), exercise 04's payment providers (``providers.py``), lesson 05's
rate-limiting sampler (``samplers.py``), lesson 06's route sampler (``route_sampler.py``)
and exercise 06's account page (``account_page.py``, 50 spans per request, with its
per-step decisions in ``steps.py``).

Nothing is imported here: ``opentelemetry-instrument`` loads
``legacy_store_instrumentation`` before it patches Flask (see ``services/__init__.py``).
"""
