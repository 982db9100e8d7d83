"""Exercise 04 (business spans on the payment step): its catalogue of answers."""

from __future__ import annotations

import pytest

from coursekit.checks import ex04
from tests.graders.catalogue import assert_catalogue, grade, learner

PRELUDE = """
from opentelemetry.trace import Status, StatusCode
from services.labs.providers import PaymentFailed, ProviderTimeout, Receipt
"""

CHARGE = """
def charge_order(tracer, order, providers):
    with tracer.start_as_current_span("charge order") as span:
        span.set_attributes({"app.order.id": order.id, "app.order.value": order.value,
                             "app.order.item_count": order.item_count,
                             "app.customer.tier": order.customer_tier})
        for provider in providers:
            span.set_attribute("app.payment.provider", provider.name)
            try:
                return provider.charge(order.card, order.value)
            except ProviderTimeout:
                span.add_event("timeout", {"app.payment.provider": provider.name})
        raise PaymentFailed(order.id)
"""


def answer(source: str):
    return learner(source, "charge_order", prelude=PRELUDE)


RIGHT = {
    "the solution's shape": CHARGE,
    "timeouts recorded as exceptions": CHARGE.replace(
        "except ProviderTimeout:", "except ProviderTimeout as timeout:"
    ).replace(
        'span.add_event("timeout", {"app.payment.provider": provider.name})',
        'span.record_exception(timeout, {"app.payment.provider": provider.name})',
    ),
    "start_span, a span per attempt, status set by hand": """
def charge_order(tracer, order, providers):
    span = tracer.start_span("charge order", attributes={
        "app.order.id": order.id, "app.order.value": float(order.value),
        "app.order.item_count": order.item_count, "app.customer.tier": order.customer_tier})
    try:
        last = None
        for provider in providers:
            last = provider.name
            with tracer.start_as_current_span("charge attempt",
                                              attributes={"app.payment.provider": last}):
                try:
                    receipt = provider.charge(order.card, order.value)
                except ProviderTimeout:
                    span.add_event("provider timed out", {"app.payment.provider": last})
                    continue
            span.set_attribute("app.payment.provider", last)
            return receipt
        span.set_attribute("app.payment.provider", last)
        failure = PaymentFailed(f"no provider could charge order {order.id}")
        span.record_exception(failure)
        span.set_status(Status(StatusCode.ERROR, str(failure)))
        raise failure
    finally:
        span.end()
""",
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name):
    outcome = grade(ex04._check, answer(RIGHT[name]))
    assert outcome.passed, outcome.message


WRONG = {
    "unsolved": ("def charge_order(tracer, order, providers):\n    ...", "no spans: start one"),
    "order id in the span name": (CHARGE.replace('"charge order"', 'f"charge order {order.id}"'),
                                  "keep ids out of span names"),
    "value as a string": (
        CHARGE.replace('"app.order.value": order.value', '"app.order.value": str(order.value)'),
        "set the number itself"),
    "provider set once, before the attempts": (
        CHARGE.replace('            span.set_attribute("app.payment.provider", provider.name)\n',
                       "").replace('"app.customer.tier": order.customer_tier}',
                                   '"app.customer.tier": order.customer_tier,\n'
                                   '                             "app.payment.provider": '
                                   'providers[0].name}'),
        "set it for each attempt"),
    "card number on the span": (CHARGE.replace('"app.order.id": order.id,',
                                               '"app.order.id": order.id, "card": order.card,'),
                                "personal data"),
    "failure swallowed": (CHARGE.replace("raise PaymentFailed(order.id)", "return None"),
                          "let PaymentFailed leave the function"),
    "no timeout events": (CHARGE.replace(
        'span.add_event("timeout", {"app.payment.provider": provider.name})', "pass"),
        "one event per timed-out attempt"),
    "timeout events that name the wrong provider": (CHARGE.replace(
        '{"app.payment.provider": provider.name})', '{"app.payment.provider": "nobody"})'),
        "name the provider of that attempt"),
    "a field guessed wrong": (CHARGE.replace("order.customer_tier", "order.tier"),
                              "the fields are printed at the top of the notebook"),
    "failure caught inside the span, status never set": (CHARGE.replace(
        "        raise PaymentFailed(order.id)",
        "        try:\n            raise PaymentFailed(order.id)\n"
        "        except PaymentFailed:\n            pass\n"
        "    raise PaymentFailed(order.id)"), "its span's status is UNSET"),
    "status set, the exception not recorded": (CHARGE.replace(
        "        raise PaymentFailed(order.id)",
        "        span.set_status(Status(StatusCode.ERROR))\n"
        "    raise PaymentFailed(order.id)"), "has no exception event"),
    "every provider tried, even after one answered": (CHARGE.replace(
        "                return provider.charge(order.card, order.value)",
        "                receipt = provider.charge(order.card, order.value)").replace(
        "        raise PaymentFailed(order.id)",
        "        if 'receipt' in dir():\n            return receipt\n"
        "        raise PaymentFailed(order.id)"), "try each provider in turn, once"),
    # Cheats: right-looking output by the wrong means.
    "cheat: a receipt made up, no provider charged": (CHARGE.replace(
        "                return provider.charge(order.card, order.value)",
        "                return Receipt(provider.name, order.value)"),
        "the providers charged were []"),
    "cheat: failure guessed from the example's card numbers": ("""
def charge_order(tracer, order, providers):
    with tracer.start_as_current_span("charge order") as span:
        span.set_attributes({"app.order.id": order.id, "app.order.value": order.value,
                             "app.order.item_count": order.item_count,
                             "app.customer.tier": order.customer_tier,
                             "app.payment.provider": providers[0].name})
        if order.card == "4000-0000-0000-0001":  # the card the example's provider hangs for
            span.add_event("timeout", {"app.payment.provider": providers[0].name})
            raise PaymentFailed(order.id)
        return providers[0].charge(order.card, order.value)
""", "charge_order raised ProviderTimeout"),
    "cheat: the outcome read from the check's own orders": (CHARGE.replace(
        "def charge_order(tracer, order, providers):\n",
        "def charge_order(tracer, order, providers):\n"
        "    import coursekit.checks.ex04 as grader\n"
        "    planted = {o.id: h for o, _, h in grader.make_orders()}\n"),
        "charge_order called the check's own make_orders()"),
    "cheat: the providers patched to always answer": (CHARGE.replace(
        "def charge_order(tracer, order, providers):\n",
        "def charge_order(tracer, order, providers):\n"
        "    import services.labs.providers as p\n"
        "    p.PaymentProvider.charge = lambda self, card, amount: Receipt(self.name, amount)\n"),
        "services.labs.providers.PaymentProvider.charge is not the course's own"),
    "cheat: one provider attribute whose == always says yes": ("""
class Always(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__

def charge_order(tracer, order, providers):
    with tracer.start_as_current_span("charge order") as span:
        span.set_attributes({"app.order.id": order.id, "app.order.value": order.value,
                             "app.order.item_count": order.item_count,
                             "app.customer.tier": order.customer_tier,
                             "app.payment.provider": Always(providers[-1].name)})
        for provider in providers:
            try:
                return provider.charge(order.card, order.value)
            except ProviderTimeout:
                span.add_event("timeout", {"app.payment.provider": provider.name})
        raise PaymentFailed(order.id)
""", "but the last provider tried was"),
    "cheat: a receipt whose != always says no": (CHARGE.replace(
        "return provider.charge(order.card, order.value)",
        "provider.charge(order.card, order.value)\n"
        "                return Agreeable('nobody', 0.0)").replace(
        "def charge_order(", "class Agreeable(Receipt):\n"
        "    def __ne__(self, other):\n        return False\n\n\ndef charge_order("),
        "charge_order returned Agreeable(provider='nobody', amount=0.0)"),
    "cheat: prints the passed line and leaves": ("""
def charge_order(tracer, order, providers):
    print("✔ passed: from the spans alone, the orders over 100 that failed: ...")
    raise SystemExit
""", "charge_order raised SystemExit"),
}  # fmt: skip


def test_wrong_answers_fail_each_with_its_own_hint():
    assert len(WRONG) >= 8 and sum(n.startswith("cheat") for n in WRONG) >= 3
    assert_catalogue(WRONG, lambda source: grade(ex04._check, answer(source)))


def test_the_solution_passes_and_the_exercise_does_not(notebook_runs):
    assert notebook_runs.check_output("04") == notebook_runs.stored_output("04")
    assert "✘ not yet: no spans" in notebook_runs.check_output("04", "exercise")
