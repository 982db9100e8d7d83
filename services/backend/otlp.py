"""OTLP/HTTP trace payloads: decoding requests, encoding responses.

The messages are ``opentelemetry-proto``'s; protobuf's ``json_format`` reads and writes the
JSON form. OTLP/JSON differs from protobuf's standard JSON mapping in one way that matters
here: trace and span ids are hex strings, not base64. ``id_to_base64`` converts them
before ``json_format`` parses the rest (the trace doctor uses it too).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
#: The largest body accepted, compressed or not (the Collector's default is far larger).
MAX_BODY_BYTES = 4 * 1024 * 1024


class OtlpError(Exception):
    """A request the receiver refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def gunzip(body: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """Decompress a gzip body, refusing one that grows past ``limit`` (a zip bomb)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise OtlpError(400, f"the body is not valid gzip: {error}") from None
    if len(data) > limit:
        raise OtlpError(413, f"the decompressed body is larger than {limit} bytes")
    if not inflater.eof:  # zlib returns what it could of a stream cut short, silently
        raise OtlpError(400, "the body is not valid gzip: it is cut short")
    return data


def decode_body(body: bytes, encoding: str | None, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body as sent, undone from its Content-Encoding (OTLP/HTTP allows only gzip)."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gunzip(body, limit)
    raise OtlpError(415, f"unsupported content encoding {encoding!r}: send gzip or none")


ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _convert_ids(node, convert) -> None:
    """Apply ``convert`` to every trace and span id in an OTLP/JSON document, in place."""
    if isinstance(node, list):
        for item in node:
            _convert_ids(item, convert)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ID_KEYS and isinstance(value, str):
                node[key] = convert(key, value)
            else:
                _convert_ids(value, convert)


def id_to_base64(value: str) -> str:
    """An OTLP/JSON id (hex) as protobuf's JSON mapping of ``bytes`` wants it (base64).
    ValueError if it is not hex."""
    return base64.b64encode(bytes.fromhex(value)).decode()


def _hex_to_base64(key: str, value: str) -> str:
    try:
        return id_to_base64(value)
    except ValueError:
        raise OtlpError(400, f"{key} {value!r} is not hex") from None


def _base64_to_hex(key: str, value: str) -> str:
    return base64.b64decode(value).hex()


def parse_request(body: bytes, content_type: str | None) -> ExportTraceServiceRequest:
    """An ExportTraceServiceRequest from an OTLP/HTTP body, or OtlpError(400/415)."""
    kind = media_type(content_type)
    request = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(body)
        except (DecodeError, RecursionError, ValueError) as error:
            raise OtlpError(400, f"the body is not an OTLP protobuf message: {error}") from None
    elif kind == JSON:
        try:
            document = json.loads(body)
            if not isinstance(document, dict):
                raise ValueError("the document is not a JSON object")
            _convert_ids(document, _hex_to_base64)
            json_format.ParseDict(document, request)
        except RecursionError:
            raise OtlpError(400, "the body is not OTLP JSON: it is nested too deeply") from None
        except (ValueError, TypeError, AttributeError, json_format.ParseError,
                binascii.Error) as error:  # fmt: skip
            # protobuf's ParseDict raises more than ParseError on some shapes
            raise OtlpError(400, f"the body is not OTLP JSON: {error}") from None
    else:
        raise OtlpError(
            415, f"unsupported content type {kind or 'none'!r}: send {PROTOBUF} or {JSON}"
        )
    return request


def request_from_json(text: str) -> ExportTraceServiceRequest:
    """An OTLP/JSON document (as a file or a backend would hold it) as a request message."""
    return parse_request(text.encode(), JSON)


def request_to_json(request: ExportTraceServiceRequest, indent: int | None = 1) -> str:
    """The OTLP/JSON form of a request: protobuf's JSON mapping with hex ids (one line with
    ``indent=None``, as the Collector's file exporter writes each request)."""
    document = json_format.MessageToDict(request)
    _convert_ids(document, _base64_to_hex)
    return json.dumps(document, indent=indent)


def encode(message, content_type: str) -> tuple[bytes, str]:
    """A response message in the encoding the client used (JSON for anything else)."""
    if media_type(content_type) == PROTOBUF:
        return message.SerializeToString(), PROTOBUF
    return json_format.MessageToJson(message).encode(), JSON


def error_body(error: OtlpError, content_type: str | None) -> tuple[bytes, str]:
    """OTLP/HTTP answers errors with a google.rpc.Status message."""
    code = 14 if error.status == 503 else 3  # gRPC's UNAVAILABLE, INVALID_ARGUMENT
    return encode(Status(code=code, message=str(error)), content_type or JSON)


def response(rejected: int = 0, message: str = "") -> ExportTraceServiceResponse:
    reply = ExportTraceServiceResponse()
    if rejected:
        reply.partial_success.rejected_spans = rejected
        reply.partial_success.error_message = message
    return reply
