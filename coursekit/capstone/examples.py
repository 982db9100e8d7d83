"""Designs the lesson replays: the course's own Collector files (docker/) in three tiers.

``shipped()`` puts docker/otel-collector-redaction.yaml's redaction in the agent and
docker/otel-collector-tail-sampling.yaml's tail sampling behind a trace-id-routing
gateway: files written for another team, checked against this brief. Its knobs
(head sampler, redaction on or off, extra policies) are what the lesson turns.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


@functools.cache
def _collector(name: str) -> dict:
    return yaml.safe_load((DOCKER / name).read_text(encoding="utf-8"))


def _config(processors: dict, exporters: dict | None = None) -> dict:
    exporters = exporters or {"otlp_grpc/next": {"endpoint": "next-tier:4317"}}
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
        "processors": processors,
        "exporters": exporters,
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": list(processors),
                                             "exporters": list(exporters)}}},
    }  # fmt: skip


def shipped(sampler: str = "parentbased_always_on", ratio: float = 1.0, redaction: bool = True,
            policies: list | None = None) -> dict:  # fmt: skip
    """A design from the course's Collector files; ``policies`` replaces the tail policies."""
    tail = copy.deepcopy(
        _collector("otel-collector-tail-sampling.yaml")["processors"]["tail_sampling"]
    )
    if policies is not None:
        tail["policies"] = policies
    redacting = _collector("otel-collector-redaction.yaml")["processors"]["redaction"]
    agent = {"redaction": copy.deepcopy(redacting)} if redaction else {}
    balancer = {"loadbalancing": {"routing_key": "traceID",
                                  "resolver": {"k8s": {"service": "otel-sampler"}}}}  # fmt: skip
    return {
        "sampling": {
            "sdk": {
                "OTEL_TRACES_SAMPLER": sampler,
                "OTEL_TRACES_SAMPLER_ARG": ratio,
                "span_processor": "batch",
            }
        },  # fmt: skip
        "backend": {
            "agent": {"config": _config(agent)},
            "gateway": {"replicas_per_region": 3, "config": _config({}, balancer)},
            "sampler": {"replicas_per_region": 4, "config": _config({"tail_sampling": tail})},
            "storage": {"retention_days": 30},
        },
    }
