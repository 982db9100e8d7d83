"""Lesson 04's "your turn" checks: span status rules, and a service's resource from OTEL_*.

Each check runs the learner's answer on every case the rule covers, and compares with what
OpenTelemetry itself does: the HTTP instrumentations' ``http_status_to_status_code`` and
the SDK's ``Resource.create()`` reading ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``.
"""

from __future__ import annotations

from opentelemetry.instrumentation.utils import http_status_to_status_code
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import StatusCode

from ..checks.report import NotYet, call_learner_code, run_check

#: Every status an HTTP response can have (RFC 9110's 1xx to 5xx).
CODES = range(100, 600)


def _status_name(value) -> str | None:
    if isinstance(value, StatusCode):
        return value.name
    if isinstance(value, str) and value.strip().upper() in ("UNSET", "OK", "ERROR"):
        return value.strip().upper()
    return None


def _check_status(span_status) -> str:
    if not callable(span_status):
        raise NotYet("span_status must be a function: def span_status(kind, status_code): ...")
    for code in CODES:
        for kind in ("client", "server"):
            got = call_learner_code(span_status, kind, code, name="span_status")
            name = _status_name(got)
            if name is None:
                raise NotYet(
                    f"span_status({kind!r}, {code}) returned {got!r}: return 'UNSET', "
                    "'ERROR' (or 'OK'), or a StatusCode"
                )
            want = http_status_to_status_code(code, server_span=kind == "server").name
            if name == want:
                continue
            if name == "OK":
                raise NotYet(
                    f"span_status({kind!r}, {code}) is OK: instrumentation leaves a success "
                    "UNSET. OK is for your own code to say 'this is definitely a success', "
                    "and overrides any later ERROR."
                )
            if kind == "server" and 400 <= code < 500:
                raise NotYet(
                    f"a server span that answered {code} is {name}: a 4xx is the caller's "
                    "mistake, the server did its job. Server spans fail on 5xx only."
                )
            if kind == "client" and 400 <= code < 500:
                raise NotYet(
                    f"a client span that got {code} back is {name}: from the caller's side "
                    "the call failed. Client spans fail on 4xx and 5xx."
                )
            if code >= 500:
                raise NotYet(f"a {kind} span with status {code} is {name}: 5xx fails both sides.")
            raise NotYet(
                f"a {kind} span with status {code} is {name}: 1xx, 2xx and 3xx are not failures."
            )
    return "server spans fail on 5xx only, client spans on 4xx and 5xx; success stays UNSET."


def check_span_status(span_status) -> None:
    """Your turn: ``span_status(kind, status_code)`` -> "UNSET" or "ERROR", per the semconv."""
    run_check(_check_status, span_status)


#: What the task asks payment's resource to say.
WANTED = {
    "service.name": "payment",
    "service.version": "2.3.1",
    "deployment.environment.name": "staging",
}


def resource_from(env: dict[str, str]) -> Resource:
    """The resource an SDK builds in a process started with these variables."""
    from services import otel_settings  # the shop's helper: os.environ, for the block only

    clean = {"OTEL_SERVICE_NAME": "", "OTEL_RESOURCE_ATTRIBUTES": ""}
    with otel_settings({**clean, **env}):
        return Resource.create()


def _check_resource(env) -> str:
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise NotYet('payment_env is a dict of strings: {"OTEL_SERVICE_NAME": "...", ...}')
    unknown = sorted(k for k in env if not k.startswith("OTEL_"))
    if unknown:
        raise NotYet(f"{unknown[0]} is not an OpenTelemetry variable: they all start OTEL_.")
    attributes = resource_from(env).attributes
    if attributes.get("service.name") != "payment":
        raise NotYet(
            f"service.name is {attributes.get('service.name')!r}: set OTEL_SERVICE_NAME=payment "
            "(without it the SDK says unknown_service)."
        )
    if "deployment.environment" in attributes:
        raise NotYet(
            "deployment.environment is the old name: the current convention is "
            "deployment.environment.name."
        )
    for key, value in WANTED.items():
        if attributes.get(key) != value:
            raise NotYet(
                f"{key} is {attributes.get(key)!r}, not {value!r}: OTEL_RESOURCE_ATTRIBUTES "
                "takes comma-separated key=value pairs, e.g. "
                "service.version=2.3.1,deployment.environment.name=staging"
            )
    return (
        "the SDK built service.name=payment, service.version=2.3.1, "
        "deployment.environment.name=staging, and a service.instance.id of its own."
    )


def check_payment_env(payment_env) -> None:
    """Your turn: the OTEL_* variables that give payment its resource."""
    run_check(_check_resource, payment_env)
