"""How the doctor's OTLP/JSON fixtures were made: written out as plain JSON here, not through
protobuf or the doctor's own code, in the shapes real exporters write (the Collector's
``file`` exporter: hex ids, numeric kinds, 64-bit integers as strings, one request per line;
Java, Go and Node.js SDK resources and scopes). Edit and re-run to change them:

    .venv/bin/python tests/data/doctor/make_fixtures.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).parent
T0 = 1_732_960_800_000_000_000  # 2024-11-30 10:00:00 UTC
MS = 1_000_000
SERVER, CLIENT, INTERNAL, PRODUCER, CONSUMER = 2, 3, 1, 4, 5
STACK = (
    "com.example.orders.OrderNotFoundException: Order 99999 not found\n"
    "\tat com.example.orders.OrderController.get(OrderController.java:42)\n"
    "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor"
    ".invoke(DirectMethodHandleAccessor.java:103)"
)


def tid(label: str) -> str:
    return hashlib.sha256(f"trace {label}".encode()).hexdigest()[:32]


def sid(label: str) -> str:
    return hashlib.sha256(f"span {label}".encode()).hexdigest()[:16]


def value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}  # the Collector writes 64-bit integers as strings
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    return {"stringValue": v}


def kv(attributes: dict) -> list:
    return [{"key": k, "value": value(v)} for k, v in attributes.items()]


def span(
    trace, name, label, parent, kind, start_ms, dur_ms, attrs, status=None, events=(), links=()
):
    out = {
        "traceId": tid(trace),
        "spanId": sid(label),
        "parentSpanId": sid(parent) if parent else "",
        "flags": 257,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(T0 + int(start_ms * MS)),
        "endTimeUnixNano": str(T0 + int((start_ms + dur_ms) * MS)),
        "attributes": kv(attrs),
        "status": status or {},
    }
    if events:
        out["events"] = [
            {"timeUnixNano": str(T0 + int(t * MS)), "name": n, "attributes": kv(a)}
            for t, n, a in events
        ]
    if links:
        out["links"] = [{"traceId": tid(t), "spanId": sid(s), "attributes": []} for t, s in links]
    return out


def resource_spans(service, sdk, scope, spans, extra_resource=None, version="1.44.0"):
    resource = {
        "service.name": service,
        "service.version": "2.3.1",
        "deployment.environment.name": "production",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": sdk,
        "telemetry.sdk.version": version,
        "host.name": f"{service}-7d9f8c6b5-x2k4q",
        **(extra_resource or {}),
    }
    return {
        "resource": {"attributes": kv(resource)},
        "scopeSpans": [{"scope": {"name": scope[0], "version": scope[1]}, "spans": spans}],
        "schemaUrl": "https://opentelemetry.io/schemas/1.26.0",
    }


def http_server(
    trace, label, parent, service_port, method, route, path, start, dur, status=200, **more
):
    attrs = {
        "http.request.method": method,
        "url.scheme": "http",
        "url.path": path,
        "http.route": route,
        "server.address": "0.0.0.0",
        "server.port": service_port,
        "network.protocol.version": "1.1",
        "client.address": "10.42.1.17",
        "user_agent.original": "Java-http-client/21.0.5",
        "http.response.status_code": status,
        **more,
    }
    err = {"code": 2} if status >= 500 else None
    return span(trace, f"{method} {route}", label, parent, SERVER, start, dur, attrs, err)


def http_client(trace, label, parent, method, url, host, port, start, dur, status=200):
    attrs = {
        "http.request.method": method,
        "url.full": url,
        "server.address": host,
        "server.port": port,
        "network.protocol.version": "1.1",
        "http.response.status_code": status,
    }
    return span(trace, method, label, parent, CLIENT, start, dur, attrs)


def postgres(trace, label, parent, op, table, query, start, dur):
    attrs = {
        "db.system.name": "postgresql",
        "db.namespace": "shop",
        "db.collection.name": table,
        "db.operation.name": op,
        "db.query.text": query,
        "server.address": "orders-db.internal",
        "server.port": 5432,
    }
    return span(trace, f"{op} shop.{table}", label, parent, CLIENT, start, dur, attrs)


def write(name: str, documents: list, lines: bool = False) -> None:
    path = HERE / name
    if lines:
        path.write_text("".join(json.dumps(d, separators=(",", ":")) + "\n" for d in documents))
    else:
        path.write_text(json.dumps(documents[0], indent=2) + "\n")


# --- Java: a gateway, an order service with PostgreSQL and Stripe, an inventory with Redis --


def java_orders(lost_hop: bool) -> dict:
    gw, orders, inv = [], [], []
    for n, order_id in enumerate((81734, 81735)):
        t, base = f"java-get-{n}", n * 100
        gw.append(
            http_server(
                t,
                f"{t}-gw",
                None,
                8080,
                "GET",
                "/api/orders/{orderId}",
                f"/api/orders/{order_id}",
                base,
                40,
            )
        )
        gw.append(
            http_client(
                t,
                f"{t}-gw-c",
                f"{t}-gw",
                "GET",
                f"http://order-service:8080/orders/{order_id}",
                "order-service",
                8080,
                base + 2,
                36,
            )
        )
        orders.append(
            http_server(
                t,
                f"{t}-o",
                f"{t}-gw-c",
                8080,
                "GET",
                "/orders/{id}",
                f"/orders/{order_id}",
                base + 3,
                34,
            )
        )
        orders.append(
            postgres(
                t,
                f"{t}-o-db",
                f"{t}-o",
                "SELECT",
                "orders",
                "select o.id, o.total, o.status from orders o where o.id = ?",
                base + 5,
                6,
            )
        )
        orders.append(
            http_client(
                t,
                f"{t}-o-c",
                f"{t}-o",
                "GET",
                "http://inventory-service:8080/stock/ESP-200",
                "inventory-service",
                8080,
                base + 12,
                20,
            )
        )
        if not (lost_hop and n == 1):
            inv.append(
                http_server(
                    t,
                    f"{t}-i",
                    f"{t}-o-c",
                    8080,
                    "GET",
                    "/stock/{sku}",
                    "/stock/ESP-200",
                    base + 13,
                    18,
                )
            )
            redis_parent = f"{t}-i"
            redis_trace = t
        else:  # the call arrived without its context: inventory starts a new trace
            nt = f"{t}-new"
            inv.append(
                http_server(
                    nt,
                    f"{nt}-i",
                    None,
                    8080,
                    "GET",
                    "/stock/{sku}",
                    "/stock/ESP-200",
                    base + 13,
                    18,
                )
            )
            redis_parent, redis_trace = f"{nt}-i", nt
        inv.append(
            span(
                redis_trace,
                "HGETALL",
                f"{redis_parent}-r",
                redis_parent,
                CLIENT,
                base + 15,
                2,
                {
                    "db.system.name": "redis",
                    "db.operation.name": "HGETALL",
                    "db.query.text": "HGETALL stock:?",
                    "server.address": "redis.internal",
                    "server.port": 6379,
                    "db.namespace": "0",
                },
            )
        )

    # A purchase: the order service calls Stripe (not traced: no server span, no finding),
    # and another customer's request reaches the gateway during that call.
    t = "java-post"
    gw.append(http_server(t, f"{t}-gw", None, 8080, "POST", "/api/orders", "/api/orders", 300, 420))
    gw.append(
        http_client(
            t,
            f"{t}-gw-c",
            f"{t}-gw",
            "POST",
            "http://order-service:8080/orders",
            "order-service",
            8080,
            302,
            415,
        )
    )
    orders.append(
        http_server(
            t, f"{t}-o", f"{t}-gw-c", 8080, "POST", "/orders", "/orders", 303, 412, status=201
        )
    )
    orders.append(
        postgres(
            t,
            f"{t}-o-db",
            f"{t}-o",
            "INSERT",
            "orders",
            "insert into orders (id, customer_id, total) values (?, ?, ?)",
            305,
            5,
        )
    )
    orders.append(
        span(
            t,
            "POST",
            f"{t}-o-stripe",
            f"{t}-o",
            CLIENT,
            312,
            390,
            {
                "http.request.method": "POST",
                "url.full": "https://api.stripe.com/v1/payment_intents",
                "server.address": "api.stripe.com",
                "server.port": 443,
                "http.response.status_code": 200,
                "service.peer.name": "stripe",
            },
        )
    )
    t2 = "java-post-other"
    gw.append(
        http_server(
            t2, f"{t2}-gw", None, 8080, "POST", "/api/orders", "/api/orders", 350, 30, status=400
        )
    )
    # A failed lookup, with the exception Spring records.
    t3 = "java-404"
    gw.append(
        http_server(
            t3,
            f"{t3}-gw",
            None,
            8080,
            "GET",
            "/api/orders/{orderId}",
            "/api/orders/99999",
            800,
            12,
            status=404,
        )
    )
    gw.append(
        http_client(
            t3,
            f"{t3}-gw-c",
            f"{t3}-gw",
            "GET",
            "http://order-service:8080/orders/99999",
            "order-service",
            8080,
            801,
            10,
            status=404,
        )
    )
    orders.append(
        http_server(
            t3,
            f"{t3}-o",
            f"{t3}-gw-c",
            8080,
            "GET",
            "/orders/{id}",
            "/orders/99999",
            802,
            8,
            status=404,
        )
    )
    orders[-1]["events"] = [
        {
            "timeUnixNano": str(T0 + 806 * MS),
            "name": "exception",
            "attributes": kv(
                {
                    "exception.type": "com.example.orders.OrderNotFoundException",
                    "exception.message": "Order 99999 not found",
                    "exception.stacktrace": STACK,
                }
            ),
        }
    ]
    java = ("java",)
    return {
        "resourceSpans": [
            resource_spans(
                "api-gateway",
                *java,
                ("io.opentelemetry.spring-webflux-5.3", "2.10.0-alpha"),
                gw,
                {
                    "process.runtime.name": "OpenJDK Runtime Environment",
                    "process.runtime.version": "21.0.5+11-LTS",
                },
            ),
            resource_spans(
                "order-service",
                *java,
                ("io.opentelemetry.spring-webmvc-6.0", "2.10.0-alpha"),
                orders,
                {
                    "process.runtime.name": "OpenJDK Runtime Environment",
                    "container.id": "5f1c0e9b8a7d",
                },
            ),
            resource_spans(
                "inventory-service",
                *java,
                ("io.opentelemetry.spring-webmvc-6.0", "2.10.0-alpha"),
                inv,
            ),
        ]
    }


# --- Go: checkout publishes to Kafka, shipping consumes and calls rates over gRPC ------------


def go_kafka(broken: bool) -> list:
    checkout, shipping, rates = [], [], []
    for n in range(3):
        t, base = f"go-{n}", n * 1000
        checkout.append(
            span(
                t,
                "POST /checkout",
                f"{t}-c",
                None,
                SERVER,
                base,
                25,
                {
                    "http.request.method": "POST",
                    "url.scheme": "https",
                    "url.path": "/checkout",
                    "http.route": "/checkout",
                    "server.address": "shop.example.com",
                    "server.port": 443,
                    "network.protocol.version": "2",
                    "http.response.status_code": 202,
                    "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
                },
            )
        )
        checkout.append(
            span(
                t,
                "send orders",
                f"{t}-p",
                f"{t}-c",
                PRODUCER,
                base + 10,
                4,
                {
                    "messaging.system": "kafka",
                    "messaging.destination.name": "orders",
                    "messaging.operation.name": "send",
                    "messaging.operation.type": "send",
                    "messaging.kafka.message.key": f"order-{7700 + n}",
                    "server.address": "kafka-0.kafka",
                    "server.port": 9092,
                },
            )
        )
        lost = broken and n == 2
        ct = f"{t}-consumer" if lost else t
        shipping.append(
            span(
                ct,
                "process orders",
                f"{t}-s",
                None if lost else f"{t}-p",
                CONSUMER,
                base + 60,
                80,
                {
                    "messaging.system": "kafka",
                    "messaging.destination.name": "orders",
                    "messaging.operation.name": "process",
                    "messaging.operation.type": "process",
                    "messaging.consumer.group.name": "shipping",
                    "messaging.kafka.offset": 40211 + n,
                },
            )
        )
        shipping.append(
            span(
                ct,
                "find shipments",
                f"{t}-s-db",
                f"{t}-s",
                CLIENT,
                base + 62,
                7,
                {
                    "db.system.name": "mongodb",
                    "db.collection.name": "shipments",
                    "db.operation.name": "find",
                    "db.namespace": "shipping",
                    "server.address": "mongo-0.mongo",
                    "server.port": 27017,
                },
            )
        )
        shipping.append(
            span(
                ct,
                "rates.v1.RateService/Quote",
                f"{t}-s-g",
                f"{t}-s",
                CLIENT,
                base + 72,
                50,
                {
                    "rpc.system": "grpc",
                    "rpc.service": "rates.v1.RateService",
                    "rpc.method": "Quote",
                    "rpc.grpc.status_code": 0,
                    "server.address": "rates",
                    "server.port": 50051,
                },
            )
        )
        rates.append(
            span(
                ct,
                "rates.v1.RateService/Quote",
                f"{t}-r",
                f"{t}-s-g",
                SERVER,
                base + 74,
                46,
                {
                    "rpc.system": "grpc",
                    "rpc.service": "rates.v1.RateService",
                    "rpc.method": "Quote",
                    "rpc.grpc.status_code": 0,
                    "server.address": "rates",
                    "server.port": 50051,
                },
            )
        )
    go = ("go",)
    metrics_line = {
        "resourceMetrics": [
            {"resource": {"attributes": kv({"service.name": "checkout"})}, "scopeMetrics": []}
        ]
    }
    return [
        {
            "resourceSpans": [
                resource_spans(
                    "checkout",
                    *go,
                    ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.58.0"),
                    checkout,
                    version="1.33.0",
                )
            ]
        },
        metrics_line,
        {
            "resourceSpans": [
                resource_spans(
                    "shipping",
                    *go,
                    ("github.com/IBM/sarama/otelsarama", "0.58.0"),
                    shipping,
                    version="1.33.0",
                )
            ]
        },
        {
            "resourceSpans": [
                resource_spans(
                    "rates",
                    *go,
                    (
                        "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
                        "0.58.0",
                    ),
                    rates,
                    version="1.33.0",
                )
            ]
        },
    ]


# --- Node.js: an auth service that leaks (and one that redacts) ------------------------------


def node_auth(leaky: bool) -> dict:
    t = "node-login"
    if leaky:
        jwt = (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0ODIxMyIsIm5hbWUiOiJBbGljZSJ9"
            ".Qm9ndXNTaWduYXR1cmVGb3JUZXN0cw"
        )
        header = [f"Bearer {jwt}"]
        password, card, email = "Tr0ub4dor&3", "4111 1111 1111 1111", "alice.smith@example.com"
        message = "charging card 5555555555554444 for bob@example.org"
        url = "https://auth.example.com/login?next=%2F&token=9f8e7d6c5b4a3210"
        args = ["node", "server.js", "--db=postgres://auth:S3cr3tPassw0rd@auth-db:5432/auth"]
        api_key = "sk_live_51HqZ2bLkd9XyZAbCdEfGhIjKl"
    else:
        header = ["[REDACTED]"]
        password, card, email = "***", "****1111", "u-48213"
        message = "charging card ****4444 for customer u-48213"
        url = "https://auth.example.com/login?next=%2F&token=REDACTED"
        args = ["node", "server.js", "--db=postgres://auth-db:5432/auth"]
        api_key = "[REDACTED]"
    spans = [
        span(
            t,
            "POST /login",
            f"{t}-s",
            None,
            SERVER,
            0,
            120,
            {
                "http.request.method": "POST",
                "url.scheme": "https",
                "url.path": "/login",
                "url.query": "next=%2F",
                "url.full": url,
                "http.route": "/login",
                "server.address": "auth.example.com",
                "server.port": 443,
                "http.response.status_code": 200,
                "http.request.header.authorization": header,
                "enduser.id": "48213",
                "session.id": "3c1b9a2e-5d4f-4e6a-9b8c-7d6e5f4a3b2c",
                "app.login.password": password,
                "app.user.email": email,
                "app.order.id": 4111111111111112,
                "app.request.received_ns": 1732960800123456789,
                "gen_ai.usage.input_tokens": 512,
                "app.auth.token_type": "Bearer",
                "app.password.length": 11,
            },
            events=[
                (30, "log", {"message": message, "log.severity": "INFO"}),
                (60, "payment", {"payment.card_number": card, "payment.amount": 42.5}),
            ],
        ),
        span(
            t,
            "pg.query:SELECT auth",
            f"{t}-db",
            f"{t}-s",
            CLIENT,
            10,
            8,
            {
                "db.system.name": "postgresql",
                "db.namespace": "auth",
                "db.operation.name": "SELECT",
                "db.collection.name": "users",
                "db.query.text": "SELECT id, hash FROM users WHERE email = $1",
                "server.address": "auth-db",
                "server.port": 5432,
            },
        ),
    ]
    resource = {
        "process.command_args": args,
        "process.runtime.name": "nodejs",
        "app.stripe.key": api_key,
    }
    return {
        "resourceSpans": [
            resource_spans(
                "auth-service",
                "nodejs",
                ("@opentelemetry/instrumentation-http", "0.56.0"),
                spans,
                resource,
            )
        ]
    }


# --- Python: a catalog with ids in its span names, old HTTP names, a span per row -----------


def catalog(ids_in_names: bool) -> dict:
    spans = []
    for n in range(12):
        t, product = f"catalog-{n}", 10231 + n * 7
        name = f"GET /products/{product}" if ids_in_names else "GET /products/<int:product_id>"
        attrs = {
            "http.method": "GET",
            "http.target": f"/products/{product}",
            "http.scheme": "http",
            "net.host.name": "catalog",
            "net.host.port": 8000,
            "http.status_code": 200,
        }
        if not ids_in_names:
            attrs["http.route"] = "/products/<int:product_id>"
        spans.append(span(t, name, f"{t}-s", None, SERVER, n * 50, 20, attrs))
    return {
        "resourceSpans": [
            resource_spans(
                "catalog", "python", ("opentelemetry.instrumentation.flask", "0.45b0"), spans
            )
        ]
    }


def batch_rows(rows: int) -> dict:
    t = "batch"
    spans = [span(t, "import price list", f"{t}-root", None, INTERNAL, 0, 900, {"app.rows": rows})]
    for n in range(rows):
        spans.append(
            postgres(
                t,
                f"{t}-row-{n}",
                f"{t}-root",
                "INSERT",
                "prices",
                "insert into prices (sku, price) values (?, ?)",
                5 + n * 25,
                20,
            )
        )
    return {
        "resourceSpans": [
            resource_spans(
                "price-importer",
                "python",
                ("opentelemetry.instrumentation.psycopg", "0.49b0"),
                spans,
            )
        ]
    }


if __name__ == "__main__":
    write("java_orders_clean.json", [java_orders(lost_hop=False)])
    write("java_orders_lost_hop.json", [java_orders(lost_hop=True)])
    write("go_kafka_clean.jsonl", go_kafka(broken=False), lines=True)
    write("go_kafka_lost_message.jsonl", go_kafka(broken=True), lines=True)
    write("node_auth_leaky.json", [node_auth(leaky=True)])
    write("node_auth_redacted.json", [node_auth(leaky=False)])
    write("catalog_ids_in_names.json", [catalog(ids_in_names=True)])
    write("catalog_routes.json", [catalog(ids_in_names=False)])
    write("batch_span_per_row.json", [batch_rows(30)])
    write("batch_few_rows.json", [batch_rows(5)])
