"""HTTP helpers the services share: an instrumented call, the uninstrumented call of a
planted bug, and a free local port."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

import requests


@dataclass
class PlainAnswer:
    """What ``post_without_tracing`` returns: the little of ``requests.Response`` we use."""

    status_code: int
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    def json(self):
        return json.loads(self.body)


def post(url: str, payload: dict) -> requests.Response:
    """POST JSON with requests, which is instrumented: a client span carrying `traceparent`."""
    return requests.post(url, json=payload, timeout=5)


def post_without_tracing(url: str, payload: dict) -> PlainAnswer:
    """The same call with plain urllib, which no instrumentation knows about."""
    data = json.dumps(payload).encode()
    call = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(call, timeout=5) as answer:
            return PlainAnswer(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        return PlainAnswer(error.code, error.read())


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
