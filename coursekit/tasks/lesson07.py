"""Lesson 07's "your turn" checks: name a server span so names stay few, and carry a
request's context through a background job.

The naming check asks the learner's function about requests it generates (seeded methods,
routes and paths with ids, unmatched paths). The job check runs the learner's two
functions on either side of a JSON round trip, the second in a fresh, empty context, as a
worker on another thread, process or machine would; OpenTelemetry's own propagator reads
what they wrote.
"""

from __future__ import annotations

import contextvars
import json
import random

from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider

from . import NotYet, call_learner_code, run_check

ROUTES = (
    ("/orders/<order_id>", "/orders/{}"),
    ("/customers/<customer_id>/cart", "/customers/{}/cart"),
    ("/checkout", "/checkout"),
    ("/api/v2/items/<int:item_id>", "/api/v2/items/{}"),
)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def _requests(seed: int = 7):
    """(method, route or None, path) for generated requests; route None: no route matched."""
    draw = random.Random(seed)
    cases = []
    for _ in range(60):
        route, shape = draw.choice(ROUTES)
        ident = draw.choice([f"{draw.randrange(10**5)}", f"ord-{draw.randrange(10**4):04d}",
                             f"{draw.getrandbits(64):016x}"])  # fmt: skip
        path = shape.format(ident)
        if draw.random() < 0.2:
            path += f"?session={draw.getrandbits(32):08x}"
        matched = draw.random() > 0.15
        cases.append((draw.choice(METHODS), route if matched else None, path))
    return cases


def _check_span_name(span_name) -> str:
    if not callable(span_name):
        raise NotYet("span_name must be a function: def span_name(method, route, path): ...")
    names = set()
    # Routed requests first: a name built from the path shows there first.
    for method, route, path in sorted(_requests(), key=lambda case: case[1] is None):
        want = f"{method} {route}" if route else method
        got = call_learner_code(span_name, method, route, path, name="span_name")
        if not isinstance(got, str):
            raise NotYet(f"span_name returned {got!r}: return the name, a str.")
        names.add(got)
        if got == want:
            continue
        if route is None and got == f"{method} None":
            raise NotYet(
                f"{got!r}: with no route matched, route is None and the f-string wrote it "
                f"out; then the name is the method alone, {method!r}."
            )
        if route is None and got.startswith(method) and path.split("?")[0] in got:
            raise NotYet(
                f"for {method} {path} with no route matched you named it {got!r}: with no "
                f"route, the name is the method alone, {method!r} (a raw path can carry ids)."
            )
        if route is None and " " in got:
            raise NotYet(f"span_name({method!r}, None, {path!r}) gave {got!r}: route is None "
                         f"when no route matched; then the name is {method!r}.")  # fmt: skip
        if path.split("?")[0] in got and path.split("?")[0] != route:
            raise NotYet(
                f"{got!r} carries the path, with its id: every request gets a name of its "
                f"own. Use the route template: {want!r}."
            )
        if got.lower() == want.lower():
            raise NotYet(f"{got!r}: keep the method as it came, in capitals: {want!r}.")
        raise NotYet(f"span_name({method!r}, {route!r}, {path!r}) gave {got!r}, not {want!r}.")
    return (
        f"{len(_requests())} requests with ids in their paths got {len(names)} span names: "
        "'{method} {route}', or the method alone when no route matched."
    )


def check_span_name(span_name) -> None:
    """Your turn: the name of an HTTP server span, from method, route and path."""
    run_check(_check_span_name, span_name)


def _check_job_context(job_with_context, context_of) -> str:
    for value, name in ((job_with_context, "job_with_context"), (context_of, "context_of")):
        if not callable(value):
            raise NotYet(f"{name} must be a function: def {name}(...): ...")
    provider = TracerProvider()
    tracer = provider.get_tracer("lesson07-task")
    order = {"order_id": "ord-0042", "amount": 249.0}
    with tracer.start_as_current_span("POST /orders") as request_span:
        job = call_learner_code(job_with_context, dict(order), name="job_with_context")
    if not isinstance(job, dict):
        raise NotYet(f"job_with_context returned {job!r}: return the job, a dict.")
    if {k: job.get(k) for k in order} != order:
        raise NotYet("the job lost the order's own fields: add the context, keep the rest.")
    try:
        sent = json.loads(json.dumps(job))
    except (TypeError, ValueError):
        raise NotYet(
            "the job does not survive JSON: a queue carries bytes, not Python objects. "
            "Write the context as text, with propagate.inject(job) (it adds 'traceparent')."
        ) from None
    if "traceparent" not in sent:
        raise NotYet(
            "the job carries no 'traceparent': inside the request, propagate.inject(job) "
            "writes the current span's context into it."
        )
    # The worker: another thread, with a context of its own (empty), as in the shop.
    context = call_learner_code(context_of, sent, name="context_of", context=contextvars.Context())
    if not isinstance(context, Context):
        raise NotYet(
            f"context_of returned {context!r}: return an OpenTelemetry Context, the one "
            "propagate.extract(job) reads from the job."
        )
    with tracer.start_as_current_span("score fraud", context=context) as job_span:
        pass
    parent = job_span.parent
    want = request_span.get_span_context()
    if parent is None:
        raise NotYet(
            "the job's span has no parent: context_of must read the job (propagate.extract"
            "(job)), not the worker's own context."
        )
    if parent.trace_id != want.trace_id or parent.span_id != want.span_id:
        raise NotYet("the job's span continues another span, not the request's.")
    provider.shutdown()
    return (
        "the job crossed JSON and a fresh context, and its span continues the request's "
        "trace, as a child of the request's span."
    )


def check_job_context(job_with_context, context_of) -> None:
    """Your turn: carry the request's context in a job, and read it back in the worker."""
    run_check(_check_job_context, job_with_context, context_of)
