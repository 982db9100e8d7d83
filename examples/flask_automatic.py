"""A Flask service traced with no tracing code at all: zero-code instrumentation.

``opentelemetry-instrument`` (package opentelemetry-distro) sets up the SDK from the
``OTEL_*`` variables and instruments every library it finds installed (here Flask and
requests) before this file runs. Run it with a receiver listening on 127.0.0.1:4318:

    OTEL_SERVICE_NAME=example-automatic \\
    OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \\
    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \\
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \\
    OTEL_SEMCONV_STABILITY_OPT_IN=http \\
    opentelemetry-instrument python examples/flask_automatic.py

then ``curl 127.0.0.1:8000/checkout``: one trace with three spans, ``GET /checkout``
(server), ``GET`` (the requests client) and ``GET /price`` (server). Without
``OTEL_EXPORTER_OTLP_PROTOCOL`` the distro picks gRPC on port 4317.
"""

import os

import requests
from flask import Flask

PORT = int(os.environ.get("PORT", "8000"))
app = Flask(__name__)


@app.get("/checkout")
def checkout():
    # The instrumented requests library adds the traceparent header for us.
    price = requests.get(f"http://127.0.0.1:{PORT}/price", timeout=5).json()
    return {"status": "ordered", **price}


@app.get("/price")
def price():
    return {"price": 42}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT)
