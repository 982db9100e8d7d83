"""The shop: four services, one trace per checkout, planted faults, logs, restarts."""

from __future__ import annotations

import logging
import re
import socket
import threading

import pytest
import requests
from shopping import checkout

from coursekit.spans import by_trace, one_trace, records
from services import ShopConfig, start_shop

SERVICES = {"frontend", "checkout", "inventory", "payment"}


def test_one_checkout_is_one_trace_across_all_four_services(shop):
    assert checkout(shop).status_code == 200
    trace = one_trace(shop.spans())
    assert {span.service for span in trace} == SERVICES
    ids = {span.span_id for span in trace}
    roots = [span for span in trace if span.parent_id is None]
    assert len(roots) == 1 and roots[0].service == "frontend"
    assert all(span.parent_id in ids for span in trace if span.parent_id), "a parent is missing"


def test_each_service_has_its_own_resource_and_server_spans(shop):
    checkout(shop)
    spans = shop.spans()
    resources = {s.resource.attributes["service.name"]: s.resource for s in spans}
    assert set(resources) == SERVICES
    assert len({id(r) for r in resources.values()}) == 4, "services share a resource"
    servers = {
        (s.resource.attributes["service.name"], s.name) for s in spans if s.kind.name == "SERVER"
    }
    assert servers == {
        ("frontend", "POST /checkout"),
        ("checkout", "POST /orders"),
        ("inventory", "POST /reserve"),
        ("payment", "POST /charge"),
    }


def test_client_spans_belong_to_the_caller_and_parent_the_callee(shop):
    checkout(shop)
    trace = one_trace(shop.spans())
    by_id = {span.span_id: span for span in trace}
    for server in (s for s in trace if s.kind == "server" and s.parent_id):
        client = by_id[server.parent_id]
        assert client.kind == "client", f"{server.name} is not called through a client span"
        assert client.service != server.service
    callers = {by_id[s.parent_id].service for s in trace if s.kind == "server" and s.parent_id}
    assert callers == {"frontend", "checkout"}


def test_payment_timeout_knob_plants_an_error_span_and_the_customers_error():
    with start_shop(payment_timeout_every=2, payment_provider_timeout_s=0.05) as shop:
        first, second = checkout(shop), checkout(shop)
        assert first.status_code == 200
        assert second.status_code == 502
        assert second.json()["error"] == "Payment timeout"
        failing = by_trace(shop.spans())
        failing = [t for t in failing.values() if any(s.is_error for s in t)]
    assert len(failing) == 1
    provider = next(s for s in failing[0] if s.name == "payment-provider authorize")
    assert provider.is_error and provider.service == "payment"
    assert provider.exception and "ProviderTimeout" in provider.exception
    assert {s.service for s in failing[0] if s.is_error} == {"frontend", "checkout", "payment"}


def test_payment_timeout_for_one_card():
    card = "4000-0000-0000-0119"
    with start_shop(payment_timeout_cards=(card,), payment_provider_timeout_s=0.05) as shop:
        assert checkout(shop).status_code == 200
        assert checkout(shop, card=card).json()["error"] == "Payment timeout"


def test_slow_inventory_knob_slows_the_stock_lookup():
    with start_shop(inventory_slow_ms=120) as shop:
        checkout(shop)
        lookup = next(s for s in one_trace(shop.spans()) if s.name == "lookup stock")
    assert lookup.duration_ms >= 120


def test_logs_carry_trace_ids_only_with_tracing_on():
    with start_shop() as traced:
        checkout(traced)
        trace_id = one_trace(traced.spans())[0].trace_id
        traced_lines = [line for lines in traced.logs.values() for line in lines]
    with start_shop(tracing=False) as untraced:
        checkout(untraced)
        untraced_lines = [line for lines in untraced.logs.values() for line in lines]
        assert untraced.spans() == ()
    assert len(traced_lines) == 6 and len(untraced_lines) == 6
    assert all(f"trace_id={trace_id}" in line for line in traced_lines)
    assert all(re.search(r"span_id=[0-9a-f]{16}", line) for line in traced_lines)
    assert not any("trace_id" in line for line in untraced_lines)


def test_same_seed_same_ids_and_outcomes():
    def run():
        with start_shop(payment_timeout_every=3, payment_provider_timeout_s=0.02) as shop:
            codes = [checkout(shop).status_code for _ in range(4)]
            return codes, list(by_trace(shop.spans()))

    assert run() == run()
    with start_shop(seed=7) as other:
        checkout(other)
        assert list(by_trace(other.spans())) != run()[1][:1]


def test_bad_input_gets_a_clear_400(shop):
    not_json = requests.post(f"{shop.url()}/checkout", data="buy!", timeout=5)
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
    unknown = checkout(shop, item="unicorn")
    assert unknown.status_code == 400 and "unicorn" in unknown.json()["error"]
    assert checkout(shop, quantity=0).status_code == 400
    assert checkout(shop).status_code == 200, "the shop stops serving after bad input"


def test_restart_in_one_process_leaks_no_threads_ports_or_warnings(caplog):
    baseline = threading.active_count()
    caplog.set_level(logging.WARNING)
    ports = []
    for _ in range(3):
        shop = start_shop()
        assert checkout(shop).status_code == 200
        ports += [int(url.rsplit(":", 1)[1]) for url in shop.urls.values()]
        shop.stop()
        shop.stop()  # stopping twice is harmless
    assert threading.active_count() == baseline
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry")], caplog.text


def test_config_replace_and_schedule():
    config = ShopConfig(payment_timeout_every=3)
    assert [config.payment_hangs(n, "x") for n in range(1, 7)] == [False, False, True] * 2
    assert config.replace(payment_timeout_every=0).payment_hangs(3, "x") is False


def test_checkout_dropping_context_splits_one_click_into_three_traces():
    with start_shop(checkout_drops_context=True) as shop:
        assert checkout(shop).status_code == 200
        traces = by_trace(shop.spans())
    roots = sorted((spans[0].service, spans[0].name) for spans in traces.values())
    assert roots == [
        ("frontend", "POST /checkout"),
        ("inventory", "POST /reserve"),
        ("payment", "POST /charge"),
    ]
    assert all(spans[0].parent_id is None for spans in traces.values())


def test_payment_timeout_still_reaches_the_customer_without_propagation():
    with start_shop(checkout_drops_context=True, payment_timeout_every=1,
                    payment_provider_timeout_s=0.02) as shop:  # fmt: skip
        assert checkout(shop).json()["error"] == "Payment timeout"


def test_thread_pool_fanout_loses_context_until_it_is_copied():
    with start_shop(warehouses=3) as shop:
        checkout(shop)
        lost = by_trace(shop.spans())
    assert len(lost) == 4
    assert sorted(len(spans) for spans in lost.values()) == [1, 1, 1, 9]
    with start_shop(warehouses=3, fanout_loses_context=False) as shop:
        checkout(shop)
        trace = one_trace(shop.spans())
    lookup = next(s for s in trace if s.name == "lookup stock")
    checks = [s for s in trace if s.name.startswith("check warehouse")]
    assert len(checks) == 3 and all(s.parent_id == lookup.span_id for s in checks)


def test_the_w3c_test_endpoint_propagates_the_incoming_context(shop):
    from services.backend.recorder import HeaderRecorder

    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with HeaderRecorder() as recorder:
        cases = [{"url": recorder.url, "arguments": [{"url": recorder.url, "arguments": []}]},
                 {"url": recorder.url, "arguments": []}]  # fmt: skip
        headers = {"traceparent": incoming, "tracestate": "congo=t61"}
        answer = requests.post(f"{shop.url()}/test", json=cases, headers=headers, timeout=10)
        assert answer.status_code == 200
        assert len(recorder.received) == 2
        sent = [headers["traceparent"] for headers in recorder.received]
        assert all(h.startswith("00-0af7651916cd43dd8448eb211c80319c-") for h in sent)
        assert all(h.split("-")[2] != "b7ad6b7169203331" and h.endswith("-01") for h in sent)
        assert len({h.split("-")[2] for h in sent}) == 2, "one client span per call"
        assert all(headers["tracestate"] == "congo=t61" for headers in recorder.received)

        unsampled = incoming[:-2] + "00"
        requests.post(f"{shop.url()}/test", json=[{"url": recorder.url}],
                      headers={"traceparent": unsampled}, timeout=10)  # fmt: skip
        assert recorder.last("traceparent").startswith("00-0af7651916cd43dd8448eb211c80319c-")
        assert recorder.last("traceparent").endswith("-00"), "the sampled flag must follow"

        requests.post(f"{shop.url()}/test", json=[{"url": recorder.url}],
                      headers={"traceparent": "00-xyz-abc-01"}, timeout=10)  # fmt: skip
        assert "0af7651916cd43dd8448eb211c80319c" not in recorder.last("traceparent")

    bad = requests.post(f"{shop.url()}/test", json={"url": "x"}, timeout=5)
    assert bad.status_code == 400 and "JSON array" in bad.json()["error"]


def test_an_unhandled_error_is_one_line_in_the_services_log_and_a_500(shop, capfd):
    answer = requests.post(f"{shop.url('checkout')}/orders", json={"item": "grinder"}, timeout=5)
    assert answer.status_code == 500 and answer.json() == {"error": "Internal error"}
    assert any("unhandled KeyError" in line for line in shop.logs["checkout"])
    assert "Traceback" not in capfd.readouterr().err
    assert checkout(shop).status_code == 200


def test_a_shop_nobody_refers_to_any_more_is_still_stopped():
    import gc

    from services import stop_all_shops

    baseline = threading.active_count()
    shop = start_shop()
    url = shop.url()
    del shop  # a notebook cell `shop = start_shop()` run twice does this
    gc.collect()
    assert requests.get(f"{url}/health", timeout=5).ok
    stop_all_shops()
    assert threading.active_count() == baseline
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)


#: Attribute names the stable HTTP semconv replaced, and peer.service (now service.peer.name).
OLD_NAMES = {"http.method", "http.status_code", "http.url", "http.target", "http.scheme",
             "http.host", "net.host.name", "net.host.port", "net.peer.name", "net.peer.port",
             "peer.service"}  # fmt: skip


def old_names(spans) -> set[str]:
    return {name for span in spans for name in span.attributes} & OLD_NAMES


def test_in_process_spans_carry_only_the_stable_http_names():
    config = ShopConfig(manual_spans=True, payment_timeout_every=2, payment_retries=1)
    with start_shop(config, payment_provider_timeout_s=0.05) as shop:
        checkout(shop)
        checkout(shop)
        spans = shop.spans()
    assert not old_names(spans), f"old names on the shop's spans: {old_names(spans)}"
    server = next(s for s in spans if s.name == "POST /orders")
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["http.response.status_code"] == 200
    authorize = [s for s in spans if s.name == "payment-provider authorize"]
    assert {s.attributes["service.peer.name"] for s in authorize} == {"acme-payments"}


def test_error_type_is_one_low_cardinality_class_per_span():
    config = ShopConfig(manual_spans=True, payment_timeout_every=1)
    with start_shop(config, payment_provider_timeout_s=0.02) as shop:
        for _ in range(3):
            checkout(shop)
        spans = records(shop.spans())
    types = {(s.service, s.name): set() for s in spans}
    for span in spans:
        if "error.type" in span.attributes:
            types[span.service, span.name].add(span.attributes["error.type"])
    assert types["payment", "payment-provider authorize"] == {"ProviderTimeout"}
    assert types["payment", "POST /charge"] == {"504"}, "the status code, as the semconv says"
    assert types["checkout", "POST /orders"] == {"502"}, "not the downstream's message"
    assert types["frontend", "POST /checkout"] == {"502"}
