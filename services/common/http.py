"""HTTP helpers the services share: an instrumented call, the uninstrumented call of a
planted bug, and a free local port."""

from __future__ import annotations

import json
import random
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


#: Where ``free_port`` looks: below Linux's ephemeral range (32768-60999), from which the OS
#: hands out ports for ``bind(0)`` and for every outgoing connection. A port probed there can
#: be taken by someone's outgoing connection before our child process binds it (seen when
#: four notebooks ran at once: "Address already in use"); down here only a listener can.
FREE_PORT_RANGE = range(20000, 32768)
_PORT_PICKER = random.SystemRandom()  # not the global generator: a lesson may seed that


def free_port() -> int:
    """A port nothing listens on right now, for a process that will bind it soon."""
    for port in _PORT_PICKER.sample(FREE_PORT_RANGE, 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:  # that range is crowded: let the OS pick
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
