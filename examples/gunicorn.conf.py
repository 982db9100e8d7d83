"""A gunicorn configuration whose workers trace correctly after ``fork``.

    PORT=8000 gunicorn -c examples/gunicorn.conf.py     # then: curl 127.0.0.1:8000/hello

gunicorn loads the app once (``preload_app``) and forks the workers from it. A fork copies
only the thread that calls it: the Batch processor's export thread stays behind. The SDK
(1.45) restarts that thread in a child, but the exporter's connection and the resource
would still be shared by every worker. So, as the OpenTelemetry docs advise, each worker
makes its own provider in ``post_fork`` and flushes it in ``worker_exit``. OTLP/HTTP goes
to 127.0.0.1:4318 unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` says otherwise.
"""

import os
import uuid

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = 2
preload_app = True
chdir = os.path.dirname(os.path.abspath(__file__))  # where gunicorn_app.py is
wsgi_app = "gunicorn_app:app"
control_socket_disable = True  # gunicorn 25+: no gunicorn.ctl socket in $HOME


def post_fork(server, worker):
    os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    # One service, several workers: service.instance.id tells the workers apart.
    resource = Resource.create(
        {"service.name": "example-gunicorn", "service.instance.id": str(uuid.uuid4())}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def worker_exit(server, worker):
    trace.get_tracer_provider().shutdown()  # export what is still queued
