"""One TracerProvider, two backends: every span goes to an OTLP receiver and to the console.

    python examples/two_backends.py

Each backend gets its own BatchSpanProcessor, so a slow or failing backend delays and
drops only its own copy. OTLP/HTTP goes to 127.0.0.1:4318 unless
``OTEL_EXPORTER_OTLP_ENDPOINT`` says otherwise; the console copy is printed as JSON.
"""

import os
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")

provider = TracerProvider(resource=Resource.create({"service.name": "example-two-backends"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("example.two_backends")

with tracer.start_as_current_span("nightly report") as report:
    for day in ("monday", "tuesday"):
        with tracer.start_as_current_span("load orders", attributes={"app.day": day}):
            time.sleep(0.01)
    report.set_attribute("app.days", 2)

provider.shutdown()  # flush both processors before the process ends
