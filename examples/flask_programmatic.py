"""A Flask service instrumented in code: the SDK set up by hand, Flask and requests
instrumented by their instrumentation libraries.

    python examples/flask_programmatic.py     # then: curl 127.0.0.1:8000/checkout

Spans go as OTLP/HTTP to 127.0.0.1:4318 unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` says
otherwise. One request makes one trace: ``GET /checkout`` (server), ``GET`` (client),
``GET /price`` (server).
"""

import os

import requests
from flask import Flask
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# Defaults only: a variable set in the environment wins.
os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")  # http.request.method etc.

provider = TracerProvider(resource=Resource.create({"service.name": "example-programmatic"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)  # the SDK flushes and shuts it down at exit

PORT = int(os.environ.get("PORT", "8000"))
app = Flask(__name__)
FlaskInstrumentor().instrument_app(app)  # once per app: a second call only warns
RequestsInstrumentor().instrument()  # patches requests for the whole process


@app.get("/checkout")
def checkout():
    price = requests.get(f"http://127.0.0.1:{PORT}/price", timeout=5).json()
    return {"status": "ordered", **price}


@app.get("/price")
def price():
    return {"price": 42}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT)
