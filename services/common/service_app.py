"""What every shop service has in common: a Flask app, its instrumentation, a health check."""

from __future__ import annotations

from flask import Flask, jsonify
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from werkzeug.exceptions import HTTPException

from .semconv import use_stable_http
from .telemetry import ServiceTelemetry


def create_service_app(telemetry: ServiceTelemetry) -> Flask:
    """A Flask app for one service. Server spans come from the Flask instrumentation."""
    app = Flask(telemetry.name)
    use_stable_http()  # before any HTTP instrumentation in this process reads the opt-in
    if telemetry.provider is not None:
        # Per app, with this service's provider: each service gets its own resource.
        FlaskInstrumentor().instrument_app(app, tracer_provider=telemetry.provider)

    @app.before_request
    def _mark_active_service():
        telemetry.activate()

    @app.errorhandler(Exception)
    def _log_unhandled(error):
        # Into the service's own log, as one line: no traceback on the notebook's stderr.
        if isinstance(error, HTTPException):
            return error
        telemetry.error("unhandled %s: %s", type(error).__name__, error)
        return jsonify(error="Internal error"), 500

    @app.get("/health")
    def health():
        return jsonify(service=telemetry.name, status="ok")

    return app
