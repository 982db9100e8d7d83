"""The one lifecycle of everything that serves: start, stop, `with`, the registry."""

from __future__ import annotations

import random
import threading

import pytest
import requests
from flask import Flask

from services.common.http import FREE_PORT_RANGE, free_port
from services.common.lifecycle import Group, Lifecycle, ThreadServer, running, stop_all


def hello_app() -> Flask:
    app = Flask("hello")
    app.get("/")(lambda: "hello")
    return app


def test_a_thread_server_serves_inside_with_and_leaves_nothing_behind():
    threads = threading.active_count()
    with ThreadServer(hello_app(), "hello") as server:
        assert server in running(ThreadServer)
        assert requests.get(server.url, timeout=5).text == "hello"
        server.start()  # starting what runs does nothing
    assert server not in running() and threading.active_count() == threads
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url, timeout=5)
    server.stop()  # safe to repeat


class Broken(Lifecycle):
    def _launch(self) -> None:
        raise RuntimeError("cannot start")

    def _stop(self) -> None:
        self.stopped = True


def test_a_group_whose_member_fails_stops_the_members_already_started():
    first, broken = ThreadServer(hello_app(), "first"), Broken()
    with pytest.raises(RuntimeError, match="cannot start"):
        Group({"first": first, "broken": broken}).start()
    assert broken.stopped and not first.running and first not in running()


class LeftRunning(ThreadServer):
    """Only this test's servers: other tests may keep a shop for the session."""


def test_stop_all_stops_what_is_still_running():
    servers = [LeftRunning(hello_app(), f"left-{n}").start() for n in range(2)]
    assert running(LeftRunning) == servers
    stop_all(LeftRunning)
    assert not any(server.running for server in servers) and not running(LeftRunning)


def test_free_ports_come_from_below_the_ephemeral_range_whatever_a_lesson_seeds():
    random.seed(42)
    first = [free_port() for _ in range(5)]
    random.seed(42)
    again = [free_port() for _ in range(5)]
    assert all(port in FREE_PORT_RANGE for port in first + again)
    assert first != again, "two notebooks that seed random must not pick the same ports"
