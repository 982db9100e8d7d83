"""The Collector and Jaeger configuration for learners with Docker: it parses, and it wires
up what the lesson describes (OTLP in, memory limiter and batch, Jaeger and debug out)."""

from __future__ import annotations

from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parent.parent / "docker"


def load(name: str) -> dict:
    return yaml.safe_load((DOCKER / name).read_text())


def test_collector_pipeline_uses_only_defined_components():
    config = load("otel-collector.yaml")
    pipeline = config["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert pipeline[kind], f"the traces pipeline has no {kind}"
        assert set(pipeline[kind]) <= set(config[kind]), f"undefined {kind}"
    assert pipeline["receivers"] == ["otlp"]
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert pipeline["processors"][0] == "memory_limiter", "memory_limiter must come first"
    assert "batch" in pipeline["processors"]
    assert config["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert "debug" in pipeline["exporters"]


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
