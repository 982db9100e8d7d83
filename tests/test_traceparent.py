"""The traceparent decoder: OpenTelemetry's verdict, and a reason for every refusal."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from coursekit.traceparent import decode, reasons, traceparent_decoder

VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def propagator_accepts(header: str) -> bool:
    context = TraceContextTextMapPropagator().extract({"traceparent": header})
    return trace.get_current_span(context).get_span_context().is_valid


def test_a_valid_header_is_split_into_its_fields():
    decoded = decode(VALID)
    assert decoded.valid and decoded.reasons == ()
    assert (decoded.version, decoded.trace_id, decoded.parent_id, decoded.flags) == (
        "00",
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
        "01",
    )
    assert decoded.sampled and not decode(VALID[:-2] + "00").sampled


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "empty"),
        ("garbage", "1 field;"),
        ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "3 fields"),
        (VALID.replace("319c", "31"), "30 characters"),
        (VALID.replace("b7ad6b7169203331", "b7ad6b71692033"), "14 characters"),
        (VALID.replace("0af7651916cd43dd8448eb211c80319c", "0" * 32), "trace id is all zeros"),
        (VALID.replace("b7ad6b7169203331", "0" * 16), "parent span id is all zeros"),
        (VALID.replace("319c", "319g"), "not lowercase hex"),
        (VALID.upper(), "not lowercase hex"),
        ("ff" + VALID[2:], "version ff"),
        (VALID + "-extra", "exactly 4 fields"),
        (VALID[:-2] + "1", "flags has 1 characters"),
    ],
)
def test_invalid_headers_are_refused_by_the_propagator_with_a_reason(header, reason):
    assert not propagator_accepts(header)
    decoded = decode(header)
    assert not decoded.valid
    assert any(reason in r for r in decoded.reasons), decoded.reasons


@pytest.mark.parametrize(
    "header", [VALID, VALID[:-2] + "00", "01" + VALID[2:] + "-future-field", " " + VALID]
)
def test_headers_the_propagator_accepts_have_no_reasons(header):
    assert propagator_accepts(header)
    assert reasons(header) == () and decode(header).valid


def test_the_decoder_widget_decodes_as_you_type():
    box, out = traceparent_decoder(VALID).widget().children
    assert "0af7651916cd43dd8448eb211c80319c" in out.value
    box.value = "ff" + VALID[2:]
    assert "forbidden" in out.value
    bundle = traceparent_decoder(VALID)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "b7ad6b7169203331" in bundle["text/html"]
