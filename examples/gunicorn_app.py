"""The Flask app that gunicorn.conf.py serves. It sets up no provider: each gunicorn
worker makes its own after the fork (see gunicorn.conf.py).

    gunicorn -c examples/gunicorn.conf.py     # then: curl 127.0.0.1:8000/hello
"""

import os

from flask import Flask
from opentelemetry.instrumentation.flask import FlaskInstrumentor

os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")  # stable HTTP attributes

app = Flask(__name__)
# Until a worker sets the real provider, the tracer this takes is a proxy that forwards
# to whichever provider is set later: instrumenting before the fork is safe.
FlaskInstrumentor().instrument_app(app)


@app.get("/hello")
def hello():
    return {"hello": "world", "worker": os.getpid()}
