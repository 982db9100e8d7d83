"""Debug capture that leaks: request headers and bodies, and card numbers, recorded on spans.

With ``spans_carry_secrets`` the frontend records what "might help debugging" (the
Authorization and Cookie headers, the raw request body) and payment records the card and a
note with the customer's e-mail, in an event. All of it goes to the tracing backend, and
from there to everyone who can read traces. The fix is not to record it (and, as a second
line, to redact it before export and in the pipeline: lesson 07).
"""

from __future__ import annotations

from opentelemetry import trace


def capture_request(span: trace.Span, headers, body: bytes) -> None:
    """The frontend's leak: headers as the semantic conventions name captured headers
    (``http.request.header.<name>``, a list of values), and the body as text."""
    for name in ("authorization", "cookie"):
        values = headers.getlist(name) if hasattr(headers, "getlist") else []
        if values:
            span.set_attribute(f"http.request.header.{name}", values)
    span.set_attribute("app.request.body", body.decode("utf-8", "replace"))


def capture_charge(span: trace.Span, order: dict) -> None:
    """Payment's leak: the card under a key that says so, and a note under one that does
    not, inside an event, where key-based redaction does not look."""
    card = str(order.get("card", ""))
    span.set_attribute("app.card_number", card)
    note = f"charging card {card} for {order.get('email', 'unknown customer')}"
    span.add_event("charge requested", {"app.note": note})
