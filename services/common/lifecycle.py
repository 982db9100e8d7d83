"""One lifecycle for everything that serves: a server thread, a child process, a group.

    with Receiver() as receiver: ...             # or receiver = Receiver().start(); .stop()

``Lifecycle`` is the one way to start, stop and clean up:

- ``start()`` = ``launch()`` (begin, without waiting) then ``wait_until_ready()``; if either
  fails, whatever was begun is stopped before the error goes on; starting what already
  runs does nothing;
- ``stop()`` is safe to repeat, and also cleans up what failed to start;
- ``with`` starts it (unless it already runs) and stops it;
- everything launched and not yet stopped is in one registry (``running()``), and what is
  still running at interpreter exit is stopped, newest first. The registry holds strong
  references: a server whose variable a re-run notebook cell reassigned still serves, and
  must still be found and stopped.

Three kinds serve here: ``ThreadServer`` (a WSGI app on a thread), ``ChildProcess`` (an OS
process, its output read as it comes, stopped with Ctrl-C), and ``Group`` (several of
either, launched together so they start in parallel, stopped together).
"""

from __future__ import annotations

import atexit
import queue
import signal
import subprocess
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

#: Everything launched and not stopped yet, oldest first (a dict: an ordered set).
_running: dict[Lifecycle, None] = {}
_registry_lock = threading.Lock()


def running(kind: type | None = None) -> list[Lifecycle]:
    """What is running now (of one ``kind``, if given), oldest first."""
    with _registry_lock:
        return [each for each in _running if kind is None or isinstance(each, kind)]


def stop_all(kind: type | None = None) -> None:
    """Stop everything still running (of one ``kind``), newest first. Run at exit too."""
    for each in reversed(running(kind)):
        each.stop()


atexit.register(stop_all)


class FailedToStart(RuntimeError):
    """It did not start; the message says why, with its own output when it has one."""


class Lifecycle:
    """Start, stop, ``with`` and cleanup at exit. Subclasses write ``_launch`` and ``_stop``,
    and ``_wait_until_ready`` if starting takes a while."""

    def _launch(self) -> None:
        raise NotImplementedError

    def _wait_until_ready(self) -> None:
        pass

    def _stop(self) -> None:
        raise NotImplementedError

    def launch(self):
        """Begin starting, without waiting until it serves. Harmless if it already runs."""
        with _registry_lock:
            if self in _running:
                return self
            _running[self] = None
        try:
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_ready(self):
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def start(self):
        return self.launch().wait_until_ready()

    def stop(self) -> None:
        """Stop it and clean up. Safe to repeat, and after a failed start."""
        with _registry_lock:
            _running.pop(self, None)
        self._stop()

    @property
    def running(self) -> bool:
        return self in _running

    def __enter__(self):
        return self if self.running else self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _QuietRequestHandler(WSGIRequestHandler):
    """No access-log line per request: the services write their own logs."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class ThreadServer(Lifecycle):
    """A WSGI app served from a background thread on 127.0.0.1.

    It binds at once, so ``url`` is known before it starts; port 0 (the default) lets the
    OS pick a free port, with no race. ``OSError`` if the port is taken.
    """

    def __init__(self, app, name: str, port: int = 0) -> None:
        self.name = name
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread: threading.Thread | None = None
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _launch(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"server-{self.name}",
            daemon=True,
        )
        self._thread.start()

    def _stop(self) -> None:
        """Stop serving, join the thread, close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()


class ChildProcess(Lifecycle):
    """An OS process whose output (stdout and stderr) is read as it comes, into ``output``.

    Stopping sends Ctrl-C (SIGINT), so the OpenTelemetry SDK flushes on the way out, and
    kills the process if it does not exit within ``stop_timeout`` seconds.
    """

    stop_timeout: float = 10.0

    def _command_and_env(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def _launch(self) -> None:
        command, env = self._command_and_env()
        self.output: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        self._process = subprocess.Popen(
            command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self._reader = threading.Thread(
            target=self._read_output, daemon=True, name=f"output-{self.name}"
        )
        self._reader.start()

    def _read_output(self) -> None:
        for line in self._process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)  # the end of its output

    def next_line(self, timeout: float) -> str | None:
        """Its next line of output; None once it has ended or after ``timeout`` seconds."""
        try:
            return self._lines.get(timeout=max(0.05, timeout))
        except queue.Empty:
            return None

    def failure(self, what: str) -> FailedToStart:
        """A ``FailedToStart`` saying ``what`` happened, with the process's own output."""
        if getattr(self, "_reader", None) is not None:
            self._reader.join(timeout=2)
        output = "".join(getattr(self, "output", [])).strip() or "(it printed nothing)"
        return FailedToStart(f"{self.name} {what}. Its output:\n{output}")

    def interrupt(self) -> None:
        """Send Ctrl-C once, without waiting: ``stop`` then waits (a second Ctrl-C would
        interrupt the SDK's flush)."""
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None and process is not self._interrupted:
            process.send_signal(signal.SIGINT)
            self._interrupted = process

    _interrupted: subprocess.Popen | None = None

    def _stop(self) -> None:
        self.interrupt()
        process, self._process = getattr(self, "_process", None), None
        if process is None:
            return
        if process.poll() is None:
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._reader.join(timeout=5)  # it reads to the end of the output, then stops
        process.stdout.close()

    @property
    def running(self) -> bool:
        process = getattr(self, "_process", None)
        return process is not None and process.poll() is None

    @property
    def pid(self) -> int | None:
        process = getattr(self, "_process", None)
        return process.pid if process else None


class Group(Lifecycle):
    """Several things that serve, launched together (so they start in parallel), then each
    waited for; stopped together. ``members`` maps a name to each."""

    def __init__(self, members: dict[str, Lifecycle]) -> None:
        self.members = members

    def _launch(self) -> None:
        for member in self.members.values():
            member.launch()

    def _wait_until_ready(self) -> None:
        for member in self.members.values():
            member.wait_until_ready()

    def _stop(self) -> None:
        # Interrupt every process first, then wait for each: they flush and exit at once,
        # not one after another (measured: 0.74 s to 0.2 s for six SDK processes).
        for member in self.members.values():
            if isinstance(member, ChildProcess):
                member.interrupt()
        for member in self.members.values():
            member.stop()

    @property
    def running(self) -> bool:
        return any(member.running for member in self.members.values())

    def url(self, name: str) -> str:
        return self.members[name].url


def serve_until_interrupted(served: Lifecycle, *lines: str, stopping: str = "stopping") -> None:
    """Start ``served``, print ``lines``, serve until Ctrl-C or SIGTERM, print ``stopping``
    and stop it."""
    # SIGTERM as Ctrl-C: exit through Python, so atexit shuts the SDK down and flushes.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with served:
        for line in lines:
            print(line, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print(stopping, flush=True)
