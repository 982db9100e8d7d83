"""Services as separate OS processes, one per service, each with its own environment.

    with ShopProcesses(env=otlp_env(receiver)) as shop:      # four processes, zero-code
        requests.post(f"{shop.url()}/checkout", json={})

Each service runs ``python -m services.serve_one NAME``, prefixed with
``opentelemetry-instrument`` when ``zero_code`` is on. Ports are free 127.0.0.1 ports.
Starting waits until every service answers ``/health``; a service that exits or stays
silent is reported with its own output within seconds, and everything already started is
stopped. Stopping sends SIGINT (so exporters flush), then kills. Processes left running
are stopped at interpreter exit.
"""

from __future__ import annotations

import atexit
import json
import shlex
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from .config import ShopConfig
from .process import environment_without_otel, interrupt

#: Every running service process (a strong set: a re-run cell's processes are still found).
_running: set[ServiceProcess] = set()

#: The console script the opentelemetry-instrumentation package installs next to python.
INSTRUMENT = str(Path(sys.executable).with_name("opentelemetry-instrument"))


class ServiceFailedToStart(RuntimeError):
    pass


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    """Live (not zombie) child processes of ``pid``, read from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def otlp_env(endpoint_base: str, **more: str) -> dict[str, str]:
    """The ``OTEL_*`` settings that send traces, and only traces, as OTLP/HTTP to a receiver.

    ``endpoint_base`` is the receiver's URL without ``/v1/traces`` (the exporter adds it).
    """
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint_base,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the receiver quickly
        **more,
    }


@dataclass(eq=False)  # compared and hashed by identity: kept in the _running set
class ServiceProcess:
    """One service in its own process. ``command`` and ``env`` are what it was started with."""

    service: str
    port: int = field(default_factory=free_port)
    peers: dict[str, str] = field(default_factory=dict)
    config: ShopConfig = field(default_factory=ShopConfig)
    env: dict[str, str] = field(default_factory=dict)
    zero_code: bool = True
    start_timeout: float = 20.0

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None

    @property
    def command(self) -> list[str]:
        knobs = {k: v for k, v in asdict(self.config).items() if v != getattr(ShopConfig, k, v)}
        command = [sys.executable, "-m", "services.serve_one", self.service,
                   "--port", str(self.port)]  # fmt: skip
        command += [f"--peer={name}={url}" for name, url in self.peers.items()]
        if knobs:
            command += ["--knobs", json.dumps(knobs)]
        return [INSTRUMENT, *command] if self.zero_code else command

    @property
    def full_env(self) -> dict[str, str]:
        # This environment minus any OTEL_* of the notebook's own, plus the service's.
        env = environment_without_otel()
        env.update({"OTEL_SERVICE_NAME": self.service, **self.env, "PYTHONUNBUFFERED": "1"})
        return env

    # --- lifecycle ------------------------------------------------------------------------
    def launch(self) -> ServiceProcess:
        """Start the process without waiting for it (``wait_until_ready`` does)."""
        if self._process is not None:
            raise RuntimeError(f"{self.service} is already running")
        if self.zero_code and not Path(INSTRUMENT).exists():
            raise ServiceFailedToStart(f"{INSTRUMENT} is missing: pip install opentelemetry-distro")
        self._process = subprocess.Popen(
            self.command, env=self.full_env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _running.add(self)
        self._reader = threading.Thread(
            target=self._read_output, daemon=True, name=f"output-{self.service}"
        )
        self._reader.start()
        return self

    def _read_output(self) -> None:
        for line in self._process.stdout:
            self.output.append(line)

    def wait_until_ready(self) -> ServiceProcess:
        """Poll ``/health`` until it answers; report the service's own output if it cannot."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._reader.join(timeout=2)
                self.stop()
                raise ServiceFailedToStart(self._why("exited"))
            try:
                answer = requests.get(f"{self.url}/health", timeout=0.5)
                # The service's own name: another process on this port does not count.
                if answer.ok and answer.json().get("service") == self.service:
                    return self
            except (requests.ConnectionError, ValueError):
                pass
            time.sleep(0.05)
        self.stop()
        raise ServiceFailedToStart(self._why(f"did not answer within {self.start_timeout:g} s"))

    def _why(self, what: str) -> str:
        output = "".join(self.output).strip() or "(it printed nothing)"
        return f"{self.service} {what}. Its output:\n{output}"

    def start(self) -> ServiceProcess:
        return self.launch().wait_until_ready()

    def stop(self, timeout: float = 10) -> None:
        """SIGINT, so the SDK flushes its batch of spans; kill if it hangs. Safe to repeat."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        interrupt(process, timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
        process.stdout.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class ProcessGroup:
    """Several service processes, started in parallel and stopped together."""

    def __init__(self, processes: dict[str, ServiceProcess]) -> None:
        self.processes = processes

    def start(self):
        """Launch them all at once (they start in parallel), then wait for each."""
        try:
            for process in self.processes.values():
                process.launch()
            for process in self.processes.values():
                process.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def url(self, name: str) -> str:
        return self.processes[name].url

    @property
    def running(self) -> bool:
        return any(p.running for p in self.processes.values())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class ShopProcesses(ProcessGroup):
    """The four shop services, one OS process each, wired to each other by URL."""

    #: Who calls whom.
    PEERS = {
        "frontend": ("checkout",),
        "checkout": ("inventory", "payment"),
        "inventory": (),
        "payment": (),
    }

    def __init__(
        self,
        config: ShopConfig | None = None,
        *,
        env: dict[str, str] | None = None,
        zero_code: bool = True,
        start_timeout: float = 20.0,
    ) -> None:
        config = config or ShopConfig()
        ports = {name: free_port() for name in self.PEERS}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        super().__init__(
            {
                name: ServiceProcess(
                    name,
                    port=ports[name],
                    peers={peer: urls[peer] for peer in peers},
                    config=config,
                    env=dict(env or {}),
                    zero_code=zero_code,
                    start_timeout=start_timeout,
                )
                for name, peers in self.PEERS.items()
            }
        )

    def url(self, service: str = "frontend") -> str:
        return self.processes[service].url

    def command(self, service: str = "frontend") -> str:
        """The service's command line, as a learner would type it (with its OTEL_* variables)."""
        process = self.processes[service]
        otel = {"OTEL_SERVICE_NAME": service, **process.env}
        words = [f"{k}={v}" for k, v in otel.items() if k.startswith("OTEL_")]
        program = ["opentelemetry-instrument"] if process.zero_code else []
        program += ["python", *process.command[2 if process.zero_code else 1 :]]
        return " \\\n".join([*words, shlex.join(program)])


def stop_all_service_processes() -> None:
    for process in list(_running):
        process.stop()


atexit.register(stop_all_service_processes)
