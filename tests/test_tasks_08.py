"""Lesson 08's "your turn" checks: each wrong answer gets its own hint, right answers in
several styles pass, and the placeholders the lesson ships get a hint, not a pass."""

from __future__ import annotations

import pytest
from task_checks import assert_hint, assert_passes

from coursekit.tasks import lesson08

GB_WRONG = [
    (1_500 / 0.40, "pays only the $0.40 written"),
    (1_500 * 0.45, "the budget times the price"),
    (1_500, "the budget in dollars"),
    (None, "storage_gb is None"),
    ("3333", "storage_gb is '3333'"),
    (float("nan"), "storage_gb is nan"),
    (2_000, "that costs $900"),
]
GB_RIGHT = [1_500 / 0.45, 3_333, 3333.3, round(1500 / (0.05 + 0.40))]


@pytest.mark.parametrize(("answer", "hint"), GB_WRONG)
def test_storage_gb_wrong(answer, hint, capsys):
    assert_hint(lesson08.check_storage_gb, answer, hint, capsys)


@pytest.mark.parametrize("answer", GB_RIGHT)
def test_storage_gb_right(answer, capsys):
    assert_passes(lesson08.check_storage_gb, answer, capsys)


RESOLVER = {"dns": {"hostname": "otel-sampler.observability.svc.cluster.local"}}
GATEWAY_WRONG = [
    ({"otlp_grpc/sampler": {"endpoint": "otel-sampler:4317"}}, "does not route by trace id"),
    ({"loadbalancing": {"routing_key": "service", "resolver": RESOLVER}}, "routes by 'service'"),
    ({"loadbalancing": {"routing_key": "traceID"}}, "has no resolver"),
    ({}, "exporters is {}"),
    ("loadbalancing", "exporters is 'loadbalancing'"),
]
GATEWAY_RIGHT = [
    {"loadbalancing": {"routing_key": "traceID", "resolver": RESOLVER,
                       "protocol": {"otlp": {"tls": {"insecure": True}}}}},
    {"loadbalancing/samplers": {"resolver": {"static": {"hostnames": ["a:4317", "b:4317"]}}}},
    {"loadbalancing": {"resolver": {"k8s": {"service": "otel-sampler.observability"}}},
     "debug": {"verbosity": "basic"}},
]  # fmt: skip


@pytest.mark.parametrize(("answer", "hint"), GATEWAY_WRONG)
def test_gateway_wrong(answer, hint, capsys):
    assert_hint(lesson08.check_gateway, answer, hint, capsys)


@pytest.mark.parametrize("answer", GATEWAY_RIGHT)
def test_gateway_right(answer, capsys):
    assert_passes(lesson08.check_gateway, answer, capsys)
