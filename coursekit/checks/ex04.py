"""Exercise 04: business context on a checkout step, graded from the spans alone.

The learner's ``charge_order(tracer, order, providers)`` runs on orders the check makes up
(seeded, not the notebook's): values on both sides of 100 and exactly 100, one to three
providers in any order, cards some providers never answer for. The grader then answers
the payments team's question ("which orders over 100 failed, and with which provider?")
from the spans only, and compares with what it planted. It also counts the charges each
provider saw, so an answer that skips the providers cannot pass.
"""

from __future__ import annotations

import random

from services.labs.providers import Order, PaymentFailed, PaymentProvider, Receipt

from ..spans import SpanRecord
from .harness import NotYet, Recording, call_learner_code, plain, require_function
from .report import run_check

PROVIDERS = ("acme-payments", "globex-pay", "initech-pay")
TIERS = ("gold", "silver", "standard")
REQUIRED = ("app.order.id", "app.order.value", "app.order.item_count", "app.customer.tier",
            "app.payment.provider")  # fmt: skip


def _card(seeded: random.Random) -> str:
    return "4000-" + "-".join(f"{seeded.randrange(10_000):04d}" for _ in range(3))


def make_orders(seed: int = 20261130, count: int = 14):
    """(order, provider names in the order to try them, cards each provider hangs for)."""
    seeded = random.Random(seed)
    values = [100.0, 100.01, 99.99, 250.0] + [
        round(seeded.uniform(20, 400), 2) for _ in range(count - 4)
    ]
    out = []
    for n, value in enumerate(values):
        names = tuple(seeded.sample(PROVIDERS, seeded.randint(1, 3)))
        card = _card(seeded)
        # how many of the providers hang for this card: none, some, or all of them
        hanging = seeded.choice((0, 1, len(names), len(names)))
        hangs = {name: (card,) if i < hanging else () for i, name in enumerate(names)}
        order = Order(f"ord-{seeded.randrange(16**5):05x}", value, seeded.randint(1, 9),
                      seeded.choice(TIERS), card, f"buyer{n}@example.org")  # fmt: skip
        out.append((order, names, hangs))
    return out


def expected_outcome(order: Order, names, hangs) -> tuple[bool, str, int]:
    """(failed, last provider tried, number of timeouts) for one order."""
    timeouts = 0
    for name in names:
        if order.card in hangs[name]:
            timeouts += 1
        else:
            return False, name, timeouts
    return True, names[-1], timeouts


def _run(charge_order, orders):
    """Every order through the learner's function: (span records, first wrong outcome,
    whether it was an exception)."""
    problem, crash = None, None
    with Recording("checkout", "exercise-04") as recording:
        for order, names, hangs in orders:
            providers = [PaymentProvider(name, hangs[name]) for name in names]
            failed, last, _ = expected_outcome(order, names, hangs)
            try:
                receipt = call_learner_code(
                    charge_order, recording.tracer, order, providers,
                    name="charge_order", expect=(PaymentFailed,),
                )  # fmt: skip
            except NotYet as error:
                hint = (
                    "the fields are printed at the top of the notebook"
                    if "AttributeError" in str(error)
                    else "keep the business logic of charge_order_uninstrumented"
                )
                crash = crash or f"for order {order.id}, {error}: {hint}."
                continue
            tried = [p.name for p in providers if p.charges]
            should = list(names[: names.index(last) + 1])
            if tried != should or any(p.charges > 1 for p in providers):
                problem = problem or (
                    f"for order {order.id} the providers charged were {tried}, not {should}: "
                    "try each provider in turn, once, until one answers."
                )
            if isinstance(receipt, PaymentFailed):
                if not failed:
                    problem = problem or (
                        f"order {order.id} raised PaymentFailed, but a provider answered."
                    )
            elif failed:
                problem = problem or (
                    f"order {order.id} could not be charged, but charge_order returned "
                    f"{receipt!r}: let PaymentFailed leave the function (and the span)."
                )
            elif type(receipt) is not Receipt or plain(  # its own fields, not its own ==
                (receipt.provider, receipt.amount)
            ) != (last, order.value):
                problem = problem or (
                    f"charge_order returned {receipt!r} for {order.id}: return the receipt "
                    "the provider gave."
                )
        return recording.records(), crash or problem, crash is not None


def _span_of(order: Order, spans: list[SpanRecord]) -> SpanRecord:
    """The outermost span that carries the order's id (child spans per attempt may too)."""
    carrying = [s for s in spans if s.attributes.get("app.order.id") == order.id]
    if not carrying:
        raise NotYet(
            f"no span has app.order.id = {order.id!r}: start a span in charge_order and set "
            "the order's attributes on it."
        )
    ids = {s.span_id for s in carrying}
    return next(s for s in carrying if s.parent_id not in ids)


def _values(span: SpanRecord) -> list[str]:
    texts = [str(v) for v in span.attributes.values()]
    for _name, attributes in span.events:
        texts += [str(v) for k, v in attributes.items() if k != "exception.stacktrace"]
    return texts + [span.name]


def answer_from_spans(spans: list[SpanRecord]) -> set[tuple[str, str]]:
    """The payments team's question, answered from the spans only."""
    return {
        (s.attributes["app.order.id"], s.attributes["app.payment.provider"])
        for s in spans
        if s.is_error
        and isinstance(s.attributes.get("app.order.value"), float)
        and s.attributes["app.order.value"] > 100
        and "app.order.id" in s.attributes
        and "app.payment.provider" in s.attributes
    }


def _check(charge_order) -> str:
    require_function(charge_order, "charge_order", "tracer, order, providers")
    orders = make_orders()
    spans, problem, crashed = _run(charge_order, orders)
    if crashed:
        raise NotYet(problem)
    if not spans:
        raise NotYet("no spans: start one with tracer.start_as_current_span(...) in charge_order.")
    if problem:
        raise NotYet(problem)
    for order, names, hangs in orders:
        span = _span_of(order, spans)
        failed, last, timeouts = expected_outcome(order, names, hangs)
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
        retries = [attributes["app.payment.provider"] for _, attributes in span.events
                   if "app.payment.provider" in attributes]  # fmt: skip
        timed_out = [name for name in names if order.card in hangs[name]]
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
        is_error = span.is_error
        if failed and not is_error:
            raise NotYet(
                f"{order.id} failed but its span's status is {span.status}: "
                "let PaymentFailed leave the span (or set_status(StatusCode.ERROR))."
            )
        if not failed and is_error:
            raise NotYet(f"{order.id} was charged, but its span has status ERROR.")
        if failed and not any(name == "exception" for name, _ in span.events):
            raise NotYet(f"{order.id} failed but its span has no exception event: record it.")
    truth = {
        (order.id, expected_outcome(order, names, hangs)[1])
        for order, names, hangs in orders
        if order.value > 100 and expected_outcome(order, names, hangs)[0]
    }
    found = answer_from_spans(spans)
    if found != truth:  # every check above passed, so this should not happen
        raise NotYet(f"from your spans: {sorted(found)}; expected {sorted(truth)}.")
    listed = ", ".join(f"{order} ({provider})" for order, provider in sorted(found))
    return f"from the spans alone, the orders over 100 that failed: {listed}."


def check(charge_order) -> None:
    run_check(_check, charge_order)
