"""The course's stand-in tracing backend: a local OTLP/HTTP receiver (``receiver.py``),
OTLP decoding (``otlp.py``), Collector-shaped tail sampling (``tail_sampling.py``), and a
header recorder (``recorder.py``). Nothing is imported here."""
