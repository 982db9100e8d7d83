"""The course's local tracing backend: an OTLP/HTTP receiver (``receiver.py``) that keeps
spans in a SQLite store (``store.py``) after the processors of a Collector YAML
(``processors.py``: tail sampling from ``tail_sampling.py``, redaction, attributes), OTLP
decoding (``otlp.py``), the command ``python -m services.receiver`` (``cli.py``), the
receiver as its own process (``process.py``), and a header recorder (``recorder.py``).
Nothing is imported here."""
