"""A Flask service traced by hand: no instrumentation library, only the API's tracer.

    python examples/flask_manual.py     # then: curl '127.0.0.1:8000/checkout?item=unicorn'

A server span made by hand (stable HTTP attribute names, the parent from the caller's
``traceparent``) and a child span with a business attribute and an error status. Spans
go as OTLP/HTTP to 127.0.0.1:4318 unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` says otherwise.
"""

import os

from flask import Flask, request
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagate import extract
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
provider = TracerProvider(resource=Resource.create({"service.name": "example-manual"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("example.manual")

STOCK = {"espresso-machine": 3}
PORT = int(os.environ.get("PORT", "8000"))
app = Flask(__name__)


@app.get("/checkout")
def checkout():
    attributes = {"http.request.method": "GET", "http.route": "/checkout", "url.path": "/checkout"}
    with tracer.start_as_current_span(
        "GET /checkout",
        context=extract(request.headers),
        kind=SpanKind.SERVER,
        attributes=attributes,
    ) as server_span:
        item = request.args.get("item", "espresso-machine")
        with tracer.start_as_current_span("reserve stock", attributes={"app.item": item}) as span:
            left = STOCK.get(item, 0)
            span.set_attribute("app.stock.left", left)
            if not left:
                span.set_status(Status(StatusCode.ERROR, "out of stock"))
        status = 200 if left else 409  # a 4xx leaves a server span's status unset (semconv)
        server_span.set_attribute("http.response.status_code", status)
        return {"item": item, "reserved": bool(left)}, status


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT)
