"""The rules that read spans. Each gathers its cases into findings, one per service and
subject (a key, a name, a pair of services): a problem seen in a thousand traces is one
finding with a count, whose ``trace_id`` is None, not a thousand lines.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from functools import lru_cache
from urllib.parse import urlsplit

from .load import Span
from .report import Finding, Settings
from .secrets import is_redacted, key_kind, mask, strings, value_kinds


class _Tally:
    """Cases grouped by a key: how many, in which traces (in the order seen), one example."""

    def __init__(self) -> None:
        self.groups: dict = {}

    def add(self, key, span: Span, extra=None) -> None:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = [0, {}, span, extra]
        group[0] += 1
        group[1][span.trace_id] = None

    def __iter__(self):
        for key, (count, traces, example, extra) in self.groups.items():
            yield key, count, list(traces), example, extra


def _finding(rule, severity, service, message, hint, count, traces, unit="spans") -> Finding:
    if count > 1 or len(traces) > 1:
        noun = unit if count != 1 else unit[:-1]
        n = len(traces)
        where = "" if unit == "traces" else f" in {n} trace{'s' if n != 1 else ''}"
        message = f"{message} ({count} {noun}{where})"
    return Finding(
        rule=rule,
        severity=severity,
        trace_id=traces[0] if len(traces) == 1 else None,
        service=service,
        message=message,
        hint=hint,
        count=count,
        examples=tuple(traces[:3]),
    )


# --- helpers ----------------------------------------------------------------------------

_ID_IN_NAME = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUID
    r"|[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"  # hex id
    r"|\d+"
)


@lru_cache(maxsize=200_000)
def template(name: str) -> str:
    """A span name with its ids replaced: ``GET /orders/81734`` -> ``GET /orders/{id}``."""
    return _ID_IN_NAME.sub(lambda m: "{email}" if "@" in m.group() else "{id}", name)


def _method(span: Span):
    a = span.attributes
    return a.get("http.request.method") or a.get("http.method")


def _is_http(span: Span) -> bool:
    return span.kind in ("server", "client") and (
        "http.request.method" in span.attributes or "http.method" in span.attributes
    )


def _is_db(span: Span) -> bool:
    return "db.system.name" in span.attributes or "db.system" in span.attributes


def _is_messaging(span: Span) -> bool:
    return "messaging.system" in span.attributes


def _root_of(spans: list[Span]) -> Span:
    for s in spans:
        if s.parent_id is None:
            return s
    return min(spans, key=lambda s: s.start_ns)


# --- too-many-spans ---------------------------------------------------------------------


def too_many_spans(traces: dict[str, list[Span]], settings: Settings) -> list[Finding]:
    big, loops = _Tally(), _Tally()
    for spans in traces.values():
        if len(spans) > settings.max_spans_per_trace:
            root = _root_of(spans)
            key = (root.service, mask(template(root.name)))
            big.add(key, root, 0)
            big.groups[key][3] = max(big.groups[key][3], len(spans))
        siblings = Counter((s.parent_id, s.service, template(s.name)) for s in spans)
        repeated = {k: n for k, n in siblings.items() if n > settings.max_repeated_spans}
        if repeated:
            names = {s.span_id: s.name for s in spans}
            for (parent_id, service, name), n in repeated.items():
                key = (service, mask(names.get(parent_id, "the trace's root")), mask(name))
                example = next(s for s in spans if s.parent_id == parent_id)
                loops.add(key, example, 0)
                loops.groups[key][3] = max(loops.groups[key][3], n)
    findings = []
    for (service, name), count, tids, _example, largest in big:
        findings.append(
            _finding(
                "too-many-spans",
                "error",
                service,
                f"trace `{name}` has {largest} spans, more than {settings.max_spans_per_trace}",
                "keep a span per unit of work a person would look at (a request, a query, a "
                "call); summarise loops in one span with counts as attributes or events; "
                "raise --max-spans-per-trace if this size is expected",
                count,
                tids,
                unit="traces",
            )
        )
    for (service, parent, name), count, tids, _example, largest in loops:
        findings.append(
            _finding(
                "too-many-spans",
                "warning",
                service,
                f"`{parent}` has up to {largest} child spans named `{name}`: a span per loop "
                "iteration",
                "wrap the loop in one span and record the number of items as an attribute "
                "(or one event per failure); raise --max-repeated-spans if each one matters",
                count,
                tids,
                unit="loops",
            )
        )
    return findings


# --- high-cardinality-span-name ---------------------------------------------------------


def high_cardinality_span_name(traces: dict[str, list[Span]], settings: Settings) -> list[Finding]:
    per_service: dict[str, dict[str, dict[str, Span]]] = defaultdict(lambda: defaultdict(dict))
    traces_of: dict[tuple, dict] = defaultdict(dict)
    span_count: Counter = Counter()
    for spans in traces.values():
        for s in spans:
            t = template(s.name)
            names = per_service[s.service][t]
            if s.name not in names:
                names[s.name] = s
            traces_of[(s.service, t)][s.trace_id] = None
            span_count[(s.service, t)] += 1
    findings = []
    for service, templates in per_service.items():
        flagged = 0
        for t, names in templates.items():
            if len(names) > settings.max_names_per_template:
                flagged += len(names)
                examples = ", ".join(f"`{mask(n)}`" for n in list(names)[:2])
                tids = list(traces_of[(service, t)])
                findings.append(
                    _finding(
                        "high-cardinality-span-name",
                        "error",
                        service,
                        f"{len(names)} distinct span names of the form `{mask(t)}` "
                        f"(e.g. {examples}): the ids make every request a new name",
                        "name the span after the operation, not the instance: "
                        "`{method} {http.route}` for HTTP servers; put the id in an "
                        "attribute. Span metrics create one time series per name",
                        span_count[(service, t)],
                        tids,
                    )
                )
        total = sum(len(names) for names in templates.values())
        if total - flagged > settings.max_names_per_service:
            findings.append(
                Finding(
                    rule="high-cardinality-span-name",
                    severity="warning",
                    trace_id=None,
                    service=service,
                    message=f"{total} distinct span names, more than "
                    f"{settings.max_names_per_service} for one service",
                    hint="span names should be a small, fixed set of operations; move "
                    "what varies into attributes (raise --max-names-per-service if expected)",
                    count=total,
                )
            )
    return findings


# --- broken-propagation -----------------------------------------------------------------


def _url_parts(url) -> tuple:
    if not isinstance(url, str) or "://" not in url:
        return None, None
    try:
        parts = urlsplit(url)
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme), parts.path or "/"
    except ValueError:
        return None, None


def _client_target(span: Span) -> dict:
    a = span.attributes
    port, path = _url_parts(a.get("url.full") or a.get("http.url"))
    return {
        "method": _method(span),
        "port": a.get("server.port") or a.get("net.peer.port") or port,
        "path": path,
        "rpc": (a.get("rpc.service"), a.get("rpc.method")) if "rpc.service" in a else None,
    }


def _server_target(span: Span) -> dict:
    a = span.attributes
    port = a.get("server.port") or a.get("net.host.port")
    path = a.get("url.path") or a.get("http.target")
    if isinstance(path, str):
        path = path.split("?")[0]
    return {
        "method": _method(span),
        "port": port,
        "path": path,
        "rpc": (a.get("rpc.service"), a.get("rpc.method")) if "rpc.service" in a else None,
    }


def _same_call(client: Span, root: Span, known_services: set, normally_called: set) -> bool:
    """Whether an orphan client span and a root server span look like two ends of one call."""
    peer = client.attributes.get("service.peer.name") or client.attributes.get("peer.service")
    if peer in known_services:
        return peer == root.service
    want, got = _client_target(client), _server_target(root)
    for key in ("method", "port", "path", "rpc"):
        if want[key] is not None and got[key] is not None and str(want[key]) != str(got[key]):
            return False
    if any(want[k] is not None and want[k] == got[k] for k in ("path", "rpc")):
        return True
    return root.service in normally_called


def broken_propagation(traces: dict[str, list[Span]], settings: Settings) -> list[Finding]:
    spans = [s for group in traces.values() for s in group]
    has_child = {(s.trace_id, s.parent_id) for s in spans if s.parent_id}
    linked = {(link[0], link[1]) for s in spans for link in s.links}
    services = {s.service for s in spans}
    called: Counter = Counter()
    rooted: Counter = Counter()
    for s in spans:
        if s.parent_id is None:
            rooted[s.service] += 1
        elif s.kind in ("server", "consumer"):
            called[s.service] += 1
    normally_called = {svc for svc in services if called[svc] > rooted[svc]}

    root_servers: dict[str, list] = defaultdict(list)
    root_consumers: dict[str, list] = defaultdict(list)
    for s in spans:
        if s.parent_id is None and s.kind == "server":
            root_servers[s.service].append((s.start_ns, s.span_id, s))
        elif s.parent_id is None and s.kind == "consumer" and not s.links:
            dest = s.attributes.get("messaging.destination.name") or s.attributes.get(
                "messaging.destination"
            )
            if dest is not None:
                root_consumers[str(dest)].append((s.start_ns, s.span_id, s))
    for group in (*root_servers.values(), *root_consumers.values()):
        group.sort(key=lambda item: (item[0], item[1]))
    # A root that links to the span that caused it kept its context, as a link: fine.
    claimed: set = {id(s) for s in spans if s.parent_id is None and s.links}
    hops, queues = _Tally(), _Tally()

    for c in spans:
        if (c.trace_id, c.span_id) in has_child or (c.trace_id, c.span_id) in linked:
            continue
        if c.kind == "client" and not _is_db(c) and not _is_messaging(c):
            for service, roots in root_servers.items():
                if service == c.service:
                    continue
                i = bisect.bisect_left(roots, (c.start_ns, ""))
                while i < len(roots) and roots[i][0] <= c.end_ns:
                    root = roots[i][2]
                    if id(root) not in claimed and _same_call(c, root, services, normally_called):
                        claimed.add(id(root))
                        hops.add(
                            (c.service, root.service),
                            c,
                            (mask(c.name), mask(root.name), root.trace_id),
                        )
                        break
                    i += 1
                else:
                    continue
                break
        elif c.kind == "producer":
            dest = c.attributes.get("messaging.destination.name") or c.attributes.get(
                "messaging.destination"
            )
            roots = root_consumers.get(str(dest), []) if dest is not None else []
            i = bisect.bisect_left(roots, (c.start_ns, ""))
            while i < len(roots):
                root = roots[i][2]
                if id(root) not in claimed:
                    claimed.add(id(root))
                    queues.add(
                        (c.service, root.service, str(dest)), c, (mask(c.name), root.trace_id)
                    )
                    break
                i += 1

    findings = []
    for (caller, callee), count, tids, _example, (cname, rname, new_trace) in hops:
        findings.append(
            _finding(
                "broken-propagation",
                "error",
                caller,
                f"`{caller}` called `{callee}` (client span `{cname}`), and the call arrived as "
                f"the root of a new trace (`{rname}`, e.g. trace {new_trace}): the trace "
                "context was lost on the way",
                f"inject the context into the outgoing request in `{caller}` (an instrumented "
                f"HTTP client, or propagate.inject) and extract it in `{callee}` (server "
                "instrumentation, or propagate.extract); both must use the same propagator",
                count,
                tids,
                unit="calls",
            )
        )
    for (producer, consumer, dest), count, tids, _example, (pname, new_trace) in queues:
        findings.append(
            _finding(
                "broken-propagation",
                "error",
                producer,
                f"`{producer}` sent to `{mask(dest)}` (producer span `{pname}`), and `{consumer}` "
                f"received it as the root of a new trace (e.g. trace {new_trace})",
                "put the context in the message's headers when sending (propagate.inject) and "
                "start the consumer span from it, as its parent or as a link (propagate.extract)",
                count,
                tids,
                unit="messages",
            )
        )

    # Traces that start at a service that other services normally call.
    entry = _Tally()
    for s in spans:
        if s.parent_id is None and id(s) not in claimed and s.service in normally_called:
            entry.add((s.service, mask(template(s.name))), s)
            claimed.add(id(s))
    for (service, name), count, tids, _example, _ in entry:
        findings.append(
            _finding(
                "broken-propagation",
                "error",
                service,
                f"a trace starts at `{service}` (`{name}`), a service other services call "
                f"({called[service]} calls arrived with their context): its caller's context "
                "did not arrive",
                "find what started this work (a thread, a queue, a job, an uninstrumented "
                "client) and carry the context with it: propagate.inject/extract, or "
                "contextvars.copy_context() for a thread",
                count,
                tids,
                unit="traces",
            )
        )

    # A new trace that starts inside the service while it handles a request of another
    # trace: a thread or task that lost the request's context.
    busy: dict[str, list] = defaultdict(list)
    for s in spans:
        if s.kind == "server":
            busy[s.service].append((s.start_ns, s.end_ns, s))
    for windows in busy.values():
        windows.sort(key=lambda w: (w[0], w[1]))
        reach = 0  # the latest end so far: no earlier request is still open after it
        for i, (start, end, outer) in enumerate(windows):
            reach = max(reach, end)
            windows[i] = (start, end, outer, reach)
    lost, roots_named = _Tally(), Counter()
    for s in spans:
        if s.parent_id is None and s.kind in ("internal", "client", "producer"):
            key = (s.service, mask(template(s.name)))
            roots_named[key] += 1
            if id(s) not in claimed and _inside_request(
                s, busy.get(s.service, []), same_service=True
            ):
                lost.add(key, s)
    for (service, name), count, tids, example, _ in lost:
        every = count == roots_named[(service, name)] and count >= 3
        findings.append(
            _finding(
                "broken-propagation",
                "error" if every else "warning",
                service,
                f"new traces (`{name}`, {_an(example.kind)} span) started in `{service}` while it "
                f"was handling a request of another trace{' (every one of them)' if every else ''}:"
                " a thread or task that lost the request's context",
                "pass the context to the thread or task (contextvars.copy_context().run, or "
                "context.attach in the worker); for work that should be its own trace, start "
                "it with a link to the request's span",
                count,
                tids,
                unit="traces",
            )
        )

    # A call no client span recorded (an uninstrumented client): the callee's traces start
    # inside the caller's requests, in time no traced call of the caller accounts for.
    children: dict[tuple, list] = defaultdict(list)
    for s in spans:
        if s.parent_id:
            children[(s.trace_id, s.parent_id)].append(s)
    hidden: dict[tuple, list] = defaultdict(list)
    for s in spans:
        if s.parent_id is None and s.kind == "server" and id(s) not in claimed:
            for caller, windows in busy.items():
                if caller != s.service:
                    outer = _inside_request(s, windows, same_service=False, children=children)
                    if outer is not None:
                        hidden[(caller, s.service)].append(s)
                        break
    for (caller, callee), found in hidden.items():
        share = len(found) / rooted[callee]
        if len(found) < 3 or share < 0.8:
            continue
        tids = list(dict.fromkeys(s.trace_id for s in found))
        findings.append(
            _finding(
                "broken-propagation",
                "error" if share == 1 else "warning",
                caller,
                f"of the {rooted[callee]} traces that start at `{callee}`, {len(found)} "
                f"(`{mask(template(found[0].name))}`) start inside a request `{caller}` is "
                f"handling, where `{caller}` recorded no call: `{caller}` calls `{callee}` with "
                "a client that neither traces nor propagates",
                f"instrument the HTTP client `{caller}` uses (RequestsInstrumentor, "
                "URLLib3Instrumentor, HTTPXClientInstrumentor...) or inject the context with "
                "propagate.inject",
                len(found),
                tids,
                unit="traces",
            )
        )
    return findings


def _an(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _inside_request(span: Span, windows: list, same_service: bool, children=None):
    """A server span of another trace that ``span`` started inside, from ``windows``
    (sorted (start, end, span, latest end so far) tuples): for ``same_service``, one that
    covers its start; otherwise one that contains it whole, is not far longer, and has no
    traced client call covering it."""
    i = bisect.bisect_right(windows, (span.start_ns, float("inf"))) - 1
    checked = 0
    while i >= 0 and checked < 64:  # look back over a bounded number of open requests
        start, end, outer, reach = windows[i]
        if reach < span.start_ns:  # every earlier request ended before this span started
            return None
        i -= 1
        checked += 1
        if outer.trace_id == span.trace_id or end < span.start_ns:
            continue
        if same_service:
            return outer
        length = max(span.end_ns - span.start_ns, 1)
        if end < span.end_ns or end - start > 20 * length + 1_000_000:
            continue
        calls = children.get((outer.trace_id, outer.span_id), ())
        if any(
            c.kind == "client" and c.start_ns <= span.start_ns and c.end_ns >= span.end_ns
            for c in calls
        ):
            continue
        return outer
    return None


# --- sensitive-data ---------------------------------------------------------------------

_HINTS = {
    "a card number (Luhn-valid)": "never record card numbers: drop or mask the attribute "
    "where the span is made, add a redacting SpanProcessor, and mask card patterns in the "
    "Collector (redaction processor, blocked_values); stored copies must be scrubbed",
    "a password": "never record passwords: remove the attribute at the source, redact in "
    "the Collector, scrub the stored traces and rotate the password",
    "credentials (an Authorization header)": "do not capture the Authorization header "
    "(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* must not list it, or list it under "
    "..._SANITIZE_FIELDS); redact in the Collector; rotate the credentials",
    "a session cookie": "do not capture Cookie/Set-Cookie headers, or sanitize them "
    "(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS); expire the sessions",
}
_SECRET_HINT = (
    "remove it where the span is made (or in a redacting SpanProcessor), add a Collector "
    "redaction rule for it, scrub the stored traces, and rotate the secret"
)
_EMAIL_HINT = (
    "record a stable pseudonymous id (enduser.pseudo.id, a salted hash) instead of the "
    "address; redact e-mails in the Collector; personal data in traces falls under GDPR"
)


def _hint(kind: str, key: str) -> str:
    for known in (kind, key_kind(key) if key else None):
        if known in _HINTS:
            return _HINTS[known]
    return _EMAIL_HINT if "e-mail" in kind else _SECRET_HINT


def _secrets_in(key: str | None, value):
    """(kind) for each secret a key/value pair holds; never the value."""
    kinds = set()
    by_key = key_kind(key) if key else None
    for text in strings(value):
        found = value_kinds(text)
        kinds.update(found)
        if by_key and not found and text.strip() and not is_redacted(text):
            if by_key != "an e-mail address":  # an e-mail is judged by its value
                kinds.add(by_key)
    return kinds


def sensitive_data(traces: dict[str, list[Span]], settings: Settings) -> list[Finding]:
    tally = _Tally()  # (service, where, event, key, kind) -> the spans that show it
    resource_cache: dict[int, list] = {}
    for spans in traces.values():
        for s in spans:
            for kind in value_kinds(s.name):
                tally.add((s.service, "name", "", "", kind), s, mask(s.name))
            if s.status_message:
                for kind in value_kinds(s.status_message):
                    tally.add((s.service, "status", "", "", kind), s, mask(s.name))
            for key, value in s.attributes.items():
                for kind in _secrets_in(key, value):
                    tally.add((s.service, "span", "", key, kind), s, mask(s.name))
            for event_name, attributes in s.events:
                for kind in value_kinds(event_name):
                    tally.add((s.service, "event name", "", "", kind), s, mask(s.name))
                for key, value in attributes.items():
                    for kind in _secrets_in(key, value):
                        tally.add(
                            (s.service, "event", mask(event_name), key, kind), s, mask(s.name)
                        )
            for _tid, _sid, attributes in s.links:
                for key, value in attributes.items():
                    for kind in _secrets_in(key, value):
                        tally.add((s.service, "link", "", key, kind), s, mask(s.name))
            found = resource_cache.get(id(s.resource))
            if found is None:
                found = resource_cache[id(s.resource)] = [
                    [
                        (key, kind)
                        for key, value in s.resource.items()
                        for kind in _secrets_in(key, value)
                    ],
                    s.resource,  # kept alive, so that its id stays its own
                ]
            for key, kind in found[0]:
                tally.add((s.service, "resource", "", key, kind), s)
    findings = []
    for (service, where, event, key, kind), count, tids, _example, span_name in tally:
        subject = {
            "name": f"the span name `{span_name}`",
            "status": f"the status message of span `{span_name}`",
            "span": f"span attribute `{key}` (on `{span_name}`)",
            "event name": f"an event name on span `{span_name}`",
            "event": f"attribute `{key}` of event `{event}` (on `{span_name}`)",
            "link": f"link attribute `{key}` (on `{span_name}`)",
            "resource": f"resource attribute `{key}`",
        }[where]
        findings.append(
            _finding(
                "sensitive-data",
                "error",
                service,
                f"{subject} holds {kind}",
                _hint(kind, key),
                count,
                tids,
            )
        )
    return findings


# --- semantic conventions ---------------------------------------------------------------

#: Deprecated attribute -> its stable replacement (HTTP semconv stable since 1.23; database
#: since 1.33; ``peer.service`` became ``service.peer.name``).
DEPRECATED = {
    "http.method": "http.request.method",
    "http.status_code": "http.response.status_code",
    "http.url": "url.full",
    "http.target": "url.path and url.query",
    "http.scheme": "url.scheme",
    "http.host": "server.address (and server.port)",
    "http.server_name": "server.address",
    "http.client_ip": "client.address",
    "http.user_agent": "user_agent.original",
    "http.flavor": "network.protocol.version",
    "http.request_content_length": "http.request.body.size",
    "http.response_content_length": "http.response.body.size",
    "net.host.name": "server.address",
    "net.host.port": "server.port",
    "net.peer.name": "server.address (client side) or client.address (server side)",
    "net.peer.port": "server.port (client side) or client.port (server side)",
    "net.peer.ip": "network.peer.address",
    "net.sock.peer.addr": "network.peer.address",
    "net.sock.peer.port": "network.peer.port",
    "net.sock.host.addr": "network.local.address",
    "net.sock.host.port": "network.local.port",
    "net.transport": "network.transport",
    "net.protocol.name": "network.protocol.name",
    "net.protocol.version": "network.protocol.version",
    "peer.service": "service.peer.name",
    "db.system": "db.system.name",
    "db.statement": "db.query.text",
    "db.operation": "db.operation.name",
    "db.name": "db.namespace",
    "db.sql.table": "db.collection.name",
    "db.connection_string": "server.address and server.port (never the credentials)",
    "messaging.destination": "messaging.destination.name",
    "messaging.operation": "messaging.operation.type",
    "code.function": "code.function.name",
    "code.filepath": "code.file.path",
    "code.lineno": "code.line.number",
    "deployment.environment": "deployment.environment.name",
    "enduser.role": "(removed; record roles only if you need them)",
}

_HTTP_FAMILY = ("http.", "net.")

#: (what, required key, deprecated keys that carry the same information)
_REQUIRED = {
    "HTTP server": (
        ("http.request.method", ("http.method",)),
        ("url.path", ("http.target",)),
        ("url.scheme", ("http.scheme",)),
        ("http.response.status_code", ("http.status_code",)),
    ),
    "HTTP client": (
        ("http.request.method", ("http.method",)),
        ("url.full", ("http.url",)),
        ("server.address", ("net.peer.name", "http.url", "http.host")),
        ("server.port", ("net.peer.port", "http.url", "http.host")),
        ("http.response.status_code", ("http.status_code",)),
    ),
    "database client": (("db.system.name", ("db.system",)),),
    "messaging": (
        ("messaging.system", ()),
        ("messaging.operation.name", ("messaging.operation", "messaging.operation.type")),
    ),
}
_STATEMENT_IN_NAME = re.compile(r"(?i)\b(?:where|values|set|from)\b.*(?:=|'|\d)")


def _failed_without_response(span: Span) -> bool:
    return "error.type" in span.attributes or any(name == "exception" for name, _ in span.events)


def semantic_conventions(traces: dict[str, list[Span]], settings: Settings) -> list[Finding]:
    naming, deprecated, required = _Tally(), _Tally(), _Tally()
    want_naming = settings.enabled("span-naming")
    want_deprecated = settings.enabled("deprecated-attribute")
    want_required = settings.enabled("required-attributes")
    resource_seen: dict[int, list] = {}
    for spans in traces.values():
        for s in spans:
            a = s.attributes
            if want_deprecated:
                old = resource_seen.get(id(s.resource))
                if old is None:
                    old = resource_seen[id(s.resource)] = [
                        set(s.resource.keys() & DEPRECATED.keys()),
                        s.resource,  # kept alive, so that its id stays its own
                    ]
                found = (a.keys() & DEPRECATED.keys()) | old[0]
                if found:
                    # The HTTP and network names change together (one opt-in): one finding.
                    groups: dict = {}
                    for key in found:
                        groups.setdefault(
                            "http" if key.startswith(_HTTP_FAMILY) else key, set()
                        ).add(key)
                    for group, keys in groups.items():
                        deprecated.add((s.service, group), s, set())
                        deprecated.groups[(s.service, group)][3].update(keys)
            what = None
            if _is_http(s):
                what = f"HTTP {s.kind}"
            elif s.kind == "client" and _is_db(s):
                what = "database client"
            elif s.kind in ("producer", "consumer") and _is_messaging(s):
                what = "messaging"
            if want_naming:
                _check_name(s, what, naming)
            if want_required:
                if s.service.startswith("unknown_service") or "service.name" not in s.resource:
                    required.add((s.service, "resource", "service.name"), s)
                for key, alternatives in _REQUIRED.get(what, ()):
                    if key in a or any(alt in a for alt in alternatives):
                        continue
                    if key == "http.response.status_code" and _failed_without_response(s):
                        continue
                    required.add((s.service, what, key), s)
    findings = []
    for (service, expected_kind, name, expected), count, tids, _example, _ in naming:
        if expected_kind == "any":
            message = "spans with an empty name"
        else:
            message = f"{expected_kind} span `{name}` should be named `{expected}`"
        hint = _NAMING_HINTS.get(expected_kind, _NAMING_HINTS["any"])
        findings.append(_finding("span-naming", "warning", service, message, hint, count, tids))
    for (service, group), count, tids, _example, keys in deprecated:
        names = ", ".join(f"`{key}` (now `{DEPRECATED[key]}`)" for key in sorted(keys))
        if group == "http":
            message = f"deprecated HTTP and network attribute names: {names}"
            hint = (
                "set OTEL_SEMCONV_STABILITY_OPT_IN=http so the instrumentations emit the stable "
                "names (`http/dup` emits both while dashboards move)"
            )
        else:
            message = f"deprecated attribute name {names}"
            hint = "rename it where the span is made, or in the Collector (transform processor)"
        findings.append(
            _finding("deprecated-attribute", "warning", service, message, hint, count, tids)
        )
    for (service, what, key), count, tids, _example, _ in required:
        if what == "resource":
            message = "spans come from an unnamed service (no `service.name` in the resource)"
            hint = "set OTEL_SERVICE_NAME or the resource's service.name"
        else:
            message = f"{what} spans lack `{key}`, which the semantic conventions require"
            hint = "use the library's instrumentation, or set the attribute where the span is made"
        findings.append(
            _finding("required-attributes", "warning", service, message, hint, count, tids)
        )
    return findings


_NAMING_HINTS = {
    "HTTP server": "an HTTP server span is named `{method} {http.route}` (or only "
    "`{method}` with no route): set http.route to the framework's route template",
    "HTTP client": "an HTTP client span is named `{method}` (or `{method} {url.template}`); "
    "put the URL in url.full",
    "database client": "name a database span `{db.operation.name} {db.collection.name}`; "
    "the query text goes in db.query.text, with its literals replaced by placeholders",
    "any": "give every span a name: the operation it measures",
}


def _check_name(s: Span, what: str | None, naming: _Tally) -> None:
    if not s.name.strip():
        naming.add((s.service, "any", "", ""), s)
        return
    if what in ("HTTP server", "HTTP client"):
        method = str(_method(s))
        if method == "_OTHER":
            method = "HTTP"
        route = (
            s.attributes.get("http.route")
            if what == "HTTP server"
            else s.attributes.get("url.template")
        )
        allowed = {method, f"{method} {route}"} if route else {method}
        if s.name not in allowed:
            expected = f"{method} {route}" if route else method
            naming.add((s.service, what, mask(template(s.name)), mask(expected)), s)
    elif what == "database client" and _STATEMENT_IN_NAME.search(s.name):
        operation = (
            s.attributes.get("db.operation.name")
            or s.attributes.get("db.operation")
            or "{db.operation.name}"
        )
        table = (
            s.attributes.get("db.collection.name")
            or s.attributes.get("db.sql.table")
            or "{db.collection.name}"
        )
        naming.add((s.service, what, mask(template(s.name)), f"{operation} {table}"), s)


# --- all of them ------------------------------------------------------------------------

SPAN_RULES = {
    "too-many-spans": too_many_spans,
    "high-cardinality-span-name": high_cardinality_span_name,
    "broken-propagation": broken_propagation,
    "sensitive-data": sensitive_data,
}
SEMCONV_RULES = ("span-naming", "deprecated-attribute", "required-attributes")


def check_spans(spans: list[Span], settings: Settings) -> list[Finding]:
    traces: dict[str, list[Span]] = {}
    for s in spans:
        traces.setdefault(s.trace_id, []).append(s)
    findings: list[Finding] = []
    for rule, check in SPAN_RULES.items():
        if settings.enabled(rule):
            findings.extend(check(traces, settings))
    if any(settings.enabled(rule) for rule in SEMCONV_RULES):
        findings.extend(semantic_conventions(traces, settings))
    return findings
