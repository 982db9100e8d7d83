"""The Collector and Jaeger configuration for learners with Docker: it parses, it wires up
what the lesson describes (OTLP in, memory limiter, batching in the exporter, Jaeger and
debug out), and it uses current images and component names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

DOCKER = Path(__file__).resolve().parent.parent / "docker"
COLLECTOR_CONFIGS = [
    "otel-collector.yaml",
    "otel-collector-tail-sampling.yaml",
    "otel-collector-redaction.yaml",
]


def load(name: str) -> dict:
    return yaml.safe_load((DOCKER / name).read_text())


def version(image: str) -> tuple[int, ...]:
    tag = image.rsplit(":", 1)[1]
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"pin an exact version, not {tag!r}"
    return tuple(int(n) for n in tag.split("."))


@pytest.mark.parametrize("name", COLLECTOR_CONFIGS)
def test_collector_pipeline_uses_only_defined_components(name):
    config = load(name)
    pipeline = config["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert pipeline[kind], f"the traces pipeline has no {kind}"
        assert set(pipeline[kind]) <= set(config[kind]), f"undefined {kind}"
    assert pipeline["receivers"] == ["otlp"]
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert pipeline["processors"][0] == "memory_limiter", "memory_limiter must come first"
    assert config["exporters"]["otlp_grpc/jaeger"]["endpoint"] == "jaeger:4317"
    assert "debug" in pipeline["exporters"]


@pytest.mark.parametrize("name", COLLECTOR_CONFIGS)
def test_collector_configs_use_current_component_names(name):
    config = load(name)
    # The `batch` processor is deprecated: the exporter batches in its sending queue.
    assert not any(p.split("/")[0] == "batch" for p in config["processors"])
    assert config["exporters"]["otlp_grpc/jaeger"]["sending_queue"]["batch"]["flush_timeout"]
    # `otlp` and `otlphttp` are deprecated aliases of `otlp_grpc` and `otlp_http` (0.144).
    for exporter in config["exporters"]:
        assert exporter.split("/")[0] not in {"otlp", "otlphttp"}, exporter


def test_the_tail_sampling_config_is_what_the_pipeline_runs():
    config = load("otel-collector-tail-sampling.yaml")
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["processors"] == ["memory_limiter", "tail_sampling"]
    settings = config["processors"]["tail_sampling"]
    assert [p["type"] for p in settings["policies"]] == ["status_code", "latency", "probabilistic"]


def test_the_redaction_config_is_what_the_pipeline_runs():
    config = load("otel-collector-redaction.yaml")
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["processors"] == ["memory_limiter", "redaction"]
    settings = config["processors"]["redaction"]
    # Only keys the Collector's redaction processor knows (an unknown key stops it).
    assert set(settings) <= {"allow_all_keys", "allowed_keys", "ignored_keys",
                             "blocked_key_patterns", "blocked_values", "allowed_values",
                             "hash_function", "summary"}  # fmt: skip
    assert {"http.route", "http.request.method", "http.response.status_code",
            "service.name"} <= set(settings["ignored_keys"])  # fmt: skip


def test_compose_runs_the_collector_with_that_config_in_front_of_jaeger():
    compose = load("compose.yaml")["services"]
    collector, jaeger = compose["collector"], compose["jaeger"]
    mounted = {v.split(":")[0]: v.split(":")[1] for v in collector["volumes"]}
    assert mounted["./otel-collector.yaml"] in collector["command"][0]
    assert (DOCKER / "otel-collector.yaml").exists()
    assert "jaeger" in collector["depends_on"]
    assert "127.0.0.1:4318:4318" in collector["ports"]
    assert "127.0.0.1:16686:16686" in jaeger["ports"]
    every_port = collector["ports"] + jaeger["ports"]
    assert all(port.startswith("127.0.0.1:") for port in every_port), "listen on loopback only"
    assert all(":" in service["image"] and not service["image"].endswith(":latest")
               for service in compose.values()), "pin image versions"  # fmt: skip


def test_compose_uses_supported_images():
    compose = load("compose.yaml")["services"]
    collector, jaeger = compose["collector"]["image"], compose["jaeger"]["image"]
    assert collector.startswith("otel/opentelemetry-collector-contrib:")
    assert version(collector) >= (0, 144, 0), "otlp_grpc needs Collector 0.144 or newer"
    # Jaeger 1.x (jaegertracing/all-in-one) reached end of life on 31 Dec 2025.
    assert jaeger.rsplit(":", 1)[0].endswith("jaegertracing/jaeger")
    assert version(jaeger)[0] == 2
