"""Exercise 04: business context on a checkout step, graded from the spans alone.

The learner's ``charge_order(tracer, order, providers)`` runs on fixed orders against
simulated providers. The grader then answers the payments team's question ("which orders
over 100 failed, and with which provider?") from the spans only, and compares.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from services.labs.providers import Order, PaymentFailed, PaymentProvider, Receipt

from .report import NotYet, run_check

#: Cards a provider never answers for.
HANGS = {"acme-payments": ("4000-0000-0000-0001", "4000-0000-0000-0002"),
         "globex-pay": ("4000-0000-0000-0002", "4000-0000-0000-0003")}  # fmt: skip

#: (order, providers tried in this order).
ORDERS = [
    (Order("ord-0101", 249.00, 1, "gold", "4111-1111-1111-1111", "ana@example.com"),
     ("acme-payments", "globex-pay")),
    (Order("ord-0102", 119.00, 1, "standard", "4000-0000-0000-0001", "bo@example.com"),
     ("acme-payments", "globex-pay")),
    (Order("ord-0103", 278.00, 2, "silver", "4000-0000-0000-0002", "cy@example.com"),
     ("acme-payments", "globex-pay")),
    (Order("ord-0104", 43.50, 3, "gold", "4000-0000-0000-0002", "di@example.com"),
     ("globex-pay", "acme-payments")),
    (Order("ord-0105", 357.00, 3, "standard", "4000-0000-0000-0002", "ed@example.com"),
     ("globex-pay", "acme-payments")),
    (Order("ord-0106", 39.90, 1, "silver", "4000-0000-0000-0003", "fa@example.com"),
     ("globex-pay",)),
    (Order("ord-0107", 158.00, 4, "gold", "4000-0000-0000-0003", "gu@example.com"),
     ("globex-pay",)),
    (Order("ord-0108", 101.50, 7, "standard", "4000-0000-0000-0003", "ha@example.com"),
     ("globex-pay", "acme-payments")),
]  # fmt: skip

REQUIRED = ("app.order.id", "app.order.value", "app.order.item_count", "app.customer.tier",
            "app.payment.provider")  # fmt: skip


def expected_outcome(order: Order, names) -> tuple[bool, str, int]:
    """(failed, last provider tried, number of timeouts) for one order."""
    timeouts = 0
    for name in names:
        if order.card in HANGS[name]:
            timeouts += 1
        else:
            return False, name, timeouts
    return True, names[-1], timeouts


def _run(charge_order):
    """Every order through the learner's function: (finished spans, first wrong outcome)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("exercise-04")
    problem = None
    for order, names in ORDERS:
        providers = [PaymentProvider(name, HANGS[name]) for name in names]
        failed = expected_outcome(order, names)[0]
        try:
            receipt = charge_order(tracer, order, providers)
        except PaymentFailed:
            if not failed:
                problem = (
                    problem or f"order {order.id} raised PaymentFailed, but a provider answered."
                )
            continue
        except Exception as error:  # the learner's bug, in one line
            hint = (
                "the fields are printed at the top of the notebook"
                if isinstance(error, AttributeError)
                else "keep the business logic of charge_order_uninstrumented"
            )
            problem = problem or (
                f"charge_order raised {type(error).__name__}: {error} for order {order.id}: {hint}."
            )
            continue
        if failed:
            problem = problem or (
                f"order {order.id} could not be charged, but charge_order returned "
                f"{receipt!r}: let PaymentFailed leave the function (and the span)."
            )
        elif not isinstance(receipt, Receipt):
            problem = problem or (
                f"charge_order returned {receipt!r} for {order.id}: return the receipt."
            )
    provider.shutdown()
    return exporter.get_finished_spans(), problem


def _span_of(order: Order, spans):
    """The outermost span that carries the order's id (child spans per attempt may too)."""
    carrying = [s for s in spans if s.attributes.get("app.order.id") == order.id]
    if not carrying:
        raise NotYet(
            f"no span has app.order.id = {order.id!r}: start a span in charge_order and set "
            "the order's attributes on it."
        )
    ids = {s.context.span_id for s in carrying}
    return next(s for s in carrying if s.parent is None or s.parent.span_id not in ids)


def _values(span) -> list[str]:
    texts = [str(v) for v in span.attributes.values()]
    for event in span.events:
        texts += [str(v) for k, v in event.attributes.items() if k != "exception.stacktrace"]
    return texts + [span.name]


def answer_from_spans(spans) -> set[tuple[str, str]]:
    """The payments team's question, answered from the spans only."""
    return {
        (s.attributes["app.order.id"], s.attributes["app.payment.provider"])
        for s in spans
        if s.status.status_code is StatusCode.ERROR
        and isinstance(s.attributes.get("app.order.value"), float)
        and s.attributes["app.order.value"] > 100
        and "app.order.id" in s.attributes
    }


def _check(charge_order) -> str:
    if not callable(charge_order):
        raise NotYet("charge_order is not a function: def charge_order(tracer, order, providers):")
    spans, problem = _run(charge_order)
    if not spans:
        raise NotYet("no spans: start one with tracer.start_as_current_span(...) in charge_order.")
    if problem:
        raise NotYet(problem)
    for order, names in ORDERS:
        span = _span_of(order, spans)
        failed, last, timeouts = expected_outcome(order, names)
        missing = [key for key in REQUIRED if key not in span.attributes]
        if missing:
            raise NotYet(f"the span of {order.id} has no {', '.join(missing)}.")
        if order.id in span.name or order.id.split("-")[-1] in span.name:
            raise NotYet(
                f"the span is named {span.name!r}: keep ids out of span names (one name per "
                "operation, such as 'charge order'); the id is an attribute."
            )
        if span.attributes["app.order.value"] != order.value:
            raise NotYet(
                f"app.order.value is {span.attributes['app.order.value']!r} for {order.id}, "
                f"not {order.value!r}: set the number itself, not a string, so a backend can "
                "compare it."
            )
        if span.attributes["app.order.item_count"] != order.item_count:
            raise NotYet(f"app.order.item_count is wrong for {order.id}: use order.item_count.")
        if span.attributes["app.customer.tier"] != order.customer_tier:
            raise NotYet(f"app.customer.tier is wrong for {order.id}: use order.customer_tier.")
        if span.attributes["app.payment.provider"] != last:
            raise NotYet(
                f"app.payment.provider is {span.attributes['app.payment.provider']!r} for "
                f"{order.id}, but the last provider tried was {last!r}: set it for each "
                "attempt, so the span says which provider answered, or failed last."
            )
        personal = [key for key in span.attributes if "card" in key or "email" in key]
        if personal or any(order.card in text or order.email in text for text in _values(span)):
            raise NotYet(
                f"the span of {order.id} carries the customer's card or e-mail: that is "
                "personal data, and must never go on a span."
            )
        # A timeout event is any event naming a provider (record_exception(...) counts too).
        retries = [e.attributes["app.payment.provider"] for e in span.events
                   if "app.payment.provider" in e.attributes]  # fmt: skip
        timed_out = [name for name in names if order.card in HANGS[name]]
        if len(retries) != timeouts:
            raise NotYet(
                f"{order.id} had {timeouts} provider timeout(s) but its span has "
                f"{len(retries)} event(s) with an app.payment.provider attribute: add one "
                "event per timed-out attempt (span.add_event), naming that provider."
            )
        if retries != timed_out:
            raise NotYet(
                f"the timeout events of {order.id} name {retries}, but the providers that "
                f"timed out were {timed_out}: name the provider of that attempt."
            )
        is_error = span.status.status_code is StatusCode.ERROR
        if failed and not is_error:
            raise NotYet(
                f"{order.id} failed but its span's status is {span.status.status_code.name}: "
                "let PaymentFailed leave the span (or set_status(StatusCode.ERROR))."
            )
        if not failed and is_error:
            raise NotYet(f"{order.id} was charged, but its span has status ERROR.")
        if failed and not any(e.name == "exception" for e in span.events):
            raise NotYet(f"{order.id} failed but its span has no exception event: record it.")
    truth = {
        (order.id, expected_outcome(order, names)[1])
        for order, names in ORDERS
        if order.value > 100 and expected_outcome(order, names)[0]
    }
    found = answer_from_spans(spans)
    if found != truth:  # every check above passed, so this should not happen
        raise NotYet(f"from your spans: {sorted(found)}; expected {sorted(truth)}.")
    listed = ", ".join(f"{order} ({provider})" for order, provider in sorted(found))
    return f"from the spans alone, the orders over 100 that failed: {listed}."


def check(charge_order) -> None:
    run_check(_check, charge_order)
