"""Lesson 01's "your turn" checks: which checkouts failed, and one customer's story.

Both run a fresh shop with faults the lesson did not show (a retry that recovers, a card
that always fails, customers whose ids share a prefix), so an answer fitted to the
lesson's own traces, or to the log lines' shape, does not pass.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from services import start_shop

from ..spans import by_trace
from . import NotYet, call_learner_code, run_check

FAILING_CARD = "4000-0000-0000-0002"  # the provider hangs for this card on every attempt
# Customers c-7 and c-77: a search for "c-7" also finds c-77's lines.
CLICKS = [
    ("c-7", None),
    ("c-77", None),
    ("c-1040", None),
    ("c-1041", FAILING_CARD),
    ("c-1042", None),
    ("c-1043", None),
    ("c-1044", FAILING_CARD),
    ("c-1045", None),
]


def _rush(workers: int = 4, **knobs):
    """Eight clicks, ``workers`` at a time, on a shop whose provider hangs on every 3rd
    charge (payment retries once, so that one recovers) and always for FAILING_CARD."""
    config = {
        "payment_timeout_every": 3,
        "payment_retries": 1,
        "seed": 7,
        "payment_timeout_cards": (FAILING_CARD,),
        "payment_provider_timeout_s": 0.05,
    }

    def click(customer_and_card):
        customer, card = customer_and_card
        body = {"customer": customer, **({"card": card} if card else {})}
        return customer, requests.post(f"{shop.url()}/checkout", json=body, timeout=10).ok

    with start_shop(**{**config, **knobs}) as shop, ThreadPoolExecutor(workers) as pool:
        answered = dict(pool.map(click, CLICKS))
        return answered, by_trace(shop.spans()), {k: list(v) for k, v in shop.logs.items()}


# --- your turn 1: which checkouts failed? --------------------------------------------------
def _failed_hint(answer, traces) -> str | None:
    failed = {t for t, spans in traces.items() if spans[0].is_error}  # the root span: the user
    recovered = {
        t for t, spans in traces.items() if t not in failed and any(s.is_error for s in spans)
    }
    if answer is None:
        return (
            "failed_checkouts returned None: return the trace ids (a set of str) of the "
            "failed checkouts."
        )
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return (
            f"failed_checkouts returned {answer!r}: return a set of trace ids, one per "
            "failed checkout."
        )
    answer = list(answer)
    if any(not isinstance(a, str) for a in answer):
        kind = type(next(a for a in answer if not isinstance(a, str))).__name__
        return f"the answer holds a {kind}: return trace ids (span.trace_id), not spans or lists."
    unknown = set(answer) - set(traces)
    if unknown:
        return (
            f"{len(unknown)} of your ids are not trace ids of these traces: compute them "
            "from the spans you are given, do not copy them from the lesson."
        )
    if set(answer) & recovered:
        return (
            f"you returned {len(set(answer) & recovered)} trace(s) that hold an error span "
            "but whose checkout succeeded: payment retried the charge and the customer got their "
            "order. Whether a checkout failed is what its root span says (the span that "
            "answered the customer), not whether any span is an error."
        )
    if set(answer) < failed:
        found = len(set(answer))
        return f"you found {found} of the {len(failed)} failed checkouts: look at every trace."
    return None if set(answer) == failed else "some of your traces did not fail."


def _check_failed(failed_checkouts) -> str:
    _, traces, _ = _rush(workers=1)  # one at a time: the 3rd charge is always a default card
    answer = call_learner_code(failed_checkouts, traces, name="failed_checkouts")
    hint = _failed_hint(answer, traces)
    if hint:
        raise NotYet(hint)
    failed = sum(spans[0].is_error for spans in traces.values())
    return (
        f"on a new shop, you found the {failed} failed checkouts of {len(traces)}, and "
        "left out the ones whose payment failed once and then succeeded."
    )


def check_failed_checkouts(failed_checkouts) -> None:
    """``failed_checkouts(traces)``: trace id -> records; return the failed checkouts' ids."""
    run_check(_check_failed, failed_checkouts)


# --- your turn 2: one customer's story, from four log files ---------------------------------
TIME = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} ")


def _story(logs, customer) -> list[str]:
    """The expected lines: the trace id from frontend's "clicked" line, then every file."""
    clicked = next(line for line in logs["frontend"] if f"customer {customer} clicked" in line)
    trace_id = re.search(r"trace_id=([0-9a-f]{32})", clicked).group(1)
    return [line for lines in logs.values() for line in lines if f"trace_id={trace_id}" in line]


def _story_hint(answer, logs, customer) -> str | None:
    expected = _story(logs, customer)
    if answer is None:
        return "customer_story returned None: return a list of log lines (str)."
    if isinstance(answer, str) or not hasattr(answer, "__iter__") or hasattr(answer, "rows"):
        return (
            f"customer_story returned a {type(answer).__name__}: return a list of the log "
            "lines themselves (str), as they are in shop.logs."
        )
    answer = list(answer)
    if not all(isinstance(line, str) for line in answer):
        return "the list holds something other than str: return the log lines as they are."
    every_line = {line for lines in logs.values() for line in lines}
    if not set(answer) <= every_line:
        return "some lines are not in the logs as written: return the lines unchanged."
    if not answer:
        return f"no lines for customer {customer}: start from the frontend line that names them."
    services = {s for s, lines in logs.items() for line in answer if line in lines}
    extra = set(answer) - set(expected)
    if extra:
        named = {m.group(1) for line in extra if (m := re.search(r"customer (c-\d+)", line))}
        if any(other != customer and other.startswith(customer) for other in named):
            return (
                f"you returned lines of another customer too: searching for {customer!r} "
                "also finds customers whose id starts the same way. Find this customer's "
                "trace id, then search for the trace id."
            )
        return (
            f"{len(extra)} of your lines belong to other checkouts (lines from the same "
            "moment, or with the same error). Keep only the lines with this customer's "
            "trace id."
        )
    if set(answer) < set(expected):
        if services == {"frontend"}:
            return (
                "only frontend's lines: the other services do not know the customer. "
                "Take the trace id from frontend's line, and search every file for it."
            )
        return (
            f"{len(set(expected) - set(answer))} of the customer's lines are missing: "
            f"search all {len(logs)} files for the trace id."
        )
    if len(answer) != len(expected):
        return "some lines appear twice."
    times = [TIME.match(line).group(0) for line in answer]
    if times != sorted(times):
        return (
            "the lines are not in time order: merge the files by the time at the start "
            "of each line, so the story reads from the click to the answer."
        )
    return None


def _check_story(customer_story) -> str:
    _, _, logs = _rush(seed=11)
    for customer in ("c-7", "c-1044"):  # one that bought, one whose card failed
        answer = call_learner_code(customer_story, logs, customer, name="customer_story")
        hint = _story_hint(answer, logs, customer)
        if hint:
            raise NotYet(f"for customer {customer}, {hint}")
    return (
        "on a new rush hour, each customer's story came out whole, from all four "
        "services, in time order, and nobody else's."
    )


def check_customer_story(customer_story) -> None:
    """``customer_story(logs, customer)``: that customer's log lines from every service."""
    run_check(_check_story, customer_story)
