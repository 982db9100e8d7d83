"""``blocking-export``: spans exported on the request's own thread.

Exported spans do not say how they were exported, so this rule reads a configuration: a
live ``TracerProvider`` (its span processors, as the SDK 1.45 keeps them), or the ``OTEL_*``
environment. The SDK's environment configuration always batches; what can make it block is
a declarative configuration file (``OTEL_CONFIG_FILE``, formerly
``OTEL_EXPERIMENTAL_CONFIG_FILE``) whose ``tracer_provider.processors`` has a ``simple``
processor in front of a network exporter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .load import LoadError
from .report import Finding

RULE = "blocking-export"
_NETWORK_MODULES = (
    "opentelemetry.exporter.otlp",
    "opentelemetry.exporter.zipkin",
    "opentelemetry.exporter.jaeger",
)
_LOCAL_EXPORTERS = {"InMemorySpanExporter"}
#: Declarative configuration: exporter names that send over the network.
_NETWORK_CONFIG_EXPORTERS = {"otlp", "otlp_http", "otlp_grpc", "zipkin", "jaeger"}
_HINT = (
    "use a BatchSpanProcessor (BatchSpanProcessor(exporter), or `batch:` in the "
    "configuration file): it exports from a background thread, so a slow or down backend "
    "costs the request nothing"
)


def _processors(processor, seen: set | None = None) -> Iterable:
    """Every span processor under ``processor``: through the SDK's multi-processors, and
    through any processor that wraps another (a redacting or filtering one, say)."""
    from opentelemetry.sdk.trace import SpanProcessor

    seen = set() if seen is None else seen
    if id(processor) in seen:
        return
    seen.add(id(processor))
    yield processor
    for value in vars(processor).values() if hasattr(processor, "__dict__") else ():
        inner = value if isinstance(value, (list, tuple)) else (value,)
        for item in inner:
            if isinstance(item, SpanProcessor):
                yield from _processors(item, seen)


def _exporter_kind(exporter) -> str:
    cls = type(exporter)
    if cls.__name__ in _LOCAL_EXPORTERS:
        return "local"
    if cls.__name__ == "ConsoleSpanExporter":
        return "console"
    if cls.__module__.startswith(_NETWORK_MODULES) or any(
        hasattr(exporter, a) for a in ("_endpoint", "endpoint", "_url", "url")
    ):
        return "network"
    return "unknown"


def check_provider(provider) -> list[Finding]:
    """Findings for a live SDK ``TracerProvider``: a Simple processor in front of an
    exporter that leaves the process."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    resource = getattr(provider, "resource", None)
    service = str(resource.attributes.get("service.name", "unknown_service")) if resource else None
    root = getattr(provider, "_active_span_processor", None)
    if root is None:
        raise TypeError(f"not an SDK TracerProvider: {type(provider).__name__}")
    findings = []
    for processor in _processors(root):
        if not isinstance(processor, SimpleSpanProcessor):
            continue
        exporter = processor.span_exporter
        name = type(exporter).__name__
        kind = _exporter_kind(exporter)
        if kind == "network":
            severity = "error"
            message = (
                f"a SimpleSpanProcessor sends each span to {name} on the thread that ends "
                "the span: every request waits for the backend, and stalls when it is slow"
            )
        elif kind == "console":
            severity = "info"
            message = (
                "a SimpleSpanProcessor prints each span on the thread that ends it: fine for "
                "a demo, a cost on every request in production"
            )
        elif kind == "unknown":
            severity = "warning"
            message = (
                f"a SimpleSpanProcessor calls {name} on the thread that ends each span: if "
                "it does any I/O, every request waits for it"
            )
        else:
            continue
        findings.append(Finding(RULE, severity, None, service, message, _HINT))
    return findings


def _config_processors(document) -> list:
    provider = document.get("tracer_provider") if isinstance(document, dict) else None
    processors = provider.get("processors") if isinstance(provider, dict) else None
    return processors if isinstance(processors, list) else []


def check_config_file(path: str | Path, service: str | None = None) -> list[Finding]:
    """Findings for an OpenTelemetry declarative configuration file (YAML)."""
    import yaml

    try:
        document = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise LoadError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(f"{path}: cannot read it: {error}") from None
    except yaml.YAMLError as error:
        raise LoadError(f"{path}: not YAML: {str(error).splitlines()[0]}") from None
    findings = []
    for processor in _config_processors(document):
        simple = processor.get("simple") if isinstance(processor, dict) else None
        exporter = simple.get("exporter") if isinstance(simple, dict) else None
        if not isinstance(exporter, dict):
            continue
        for name in exporter:
            if name.split("/")[0] in _NETWORK_CONFIG_EXPORTERS:
                message = (
                    f"{path}: a `simple` processor in front of the `{name}` exporter sends each "
                    "span on the thread that ends it: every request waits for the backend"
                )
                findings.append(Finding(RULE, "error", None, service, message, _HINT))
    return findings


def check_environment(environ: Mapping[str, str]) -> list[Finding]:
    """Findings for an ``OTEL_*`` environment (``os.environ``, or a parsed env file)."""
    service = environ.get("OTEL_SERVICE_NAME") or None
    findings = []
    for variable in ("OTEL_CONFIG_FILE", "OTEL_EXPERIMENTAL_CONFIG_FILE"):
        if environ.get(variable):
            findings.extend(check_config_file(environ[variable], service))
    exporters = {e.strip() for e in environ.get("OTEL_TRACES_EXPORTER", "").split(",")}
    if "console" in exporters:
        findings.append(
            Finding(
                RULE,
                "info",
                None,
                service,
                "OTEL_TRACES_EXPORTER includes `console`: spans are printed to stdout, which "
                "is for development",
                "export with `otlp` to a Collector in production",
            )
        )
    return findings


def read_env_file(path: str | Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (a dotenv or Docker ``env_file``), comments and ``export`` allowed."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise LoadError(f"{path}: no such environment file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(f"{path}: cannot read it: {error}") from None
    environ = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise LoadError(f"{path}, line {n}: not KEY=VALUE")
        environ[key.strip()] = value.strip().strip("'\"")
    return environ
