"""Services as separate OS processes, one per service, each with its own environment.

    with ShopProcesses(env=otlp_env(receiver.url)) as shop:      # four processes, zero-code
        requests.post(f"{shop.url()}/checkout", json={})

Each service runs ``python -m services.run.serve_one NAME``, prefixed with
``opentelemetry-instrument`` when ``zero_code`` is on. Ports are free 127.0.0.1 ports.
Starting waits until every service answers ``/health``; a service that exits or stays
silent is reported with its own output within seconds, and everything already started is
stopped. The lifecycle (stop with SIGINT so exporters flush, cleanup at exit) is
``lifecycle.py``'s.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from ..common.environment import environment_without_otel
from ..common.http import free_port
from ..common.lifecycle import ChildProcess, FailedToStart, Group
from ..common.semconv import STABLE_HTTP
from ..shop.config import CALLS, ShopConfig

#: The console script the opentelemetry-instrumentation package installs next to python.
INSTRUMENT = str(Path(sys.executable).with_name("opentelemetry-instrument"))

#: Raised when a service process does not start (kept under its old name).
ServiceFailedToStart = FailedToStart


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


@dataclass(eq=False)  # compared and hashed by identity: kept in the lifecycle's registry
class ServiceProcess(ChildProcess):
    """One service in its own process. ``command`` and ``env`` are what it was started with."""

    service: str
    port: int = field(default_factory=free_port)
    peers: dict[str, str] = field(default_factory=dict)
    config: ShopConfig = field(default_factory=ShopConfig)
    env: dict[str, str] = field(default_factory=dict)
    zero_code: bool = True
    start_timeout: float = 60.0

    def __post_init__(self) -> None:
        self.name = self.service
        self.url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []

    @property
    def command(self) -> list[str]:
        knobs = {k: v for k, v in asdict(self.config).items() if v != getattr(ShopConfig, k, v)}
        command = [sys.executable, "-m", "services.run.serve_one", self.service,
                   "--port", str(self.port)]  # fmt: skip
        command += [f"--peer={name}={url}" for name, url in self.peers.items()]
        if knobs:
            command += ["--knobs", json.dumps(knobs)]
        return [INSTRUMENT, *command] if self.zero_code else command

    @property
    def full_env(self) -> dict[str, str]:
        # This environment minus any OTEL_* of the notebook's own, plus the service's.
        env = environment_without_otel()
        # The stable HTTP names: opentelemetry-instrument reads the opt-in as it starts.
        env.update({"OTEL_SERVICE_NAME": self.service, **STABLE_HTTP, **self.env})
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _command_and_env(self) -> tuple[list[str], dict[str, str]]:
        if self.zero_code and not Path(INSTRUMENT).exists():
            raise FailedToStart(f"{INSTRUMENT} is missing: pip install opentelemetry-distro")
        return self.command, self.full_env

    def _wait_until_ready(self) -> None:
        """Poll ``/health`` until it answers; report the service's own output if it cannot."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise self.failure("exited")
            try:
                answer = requests.get(f"{self.url}/health", timeout=0.5)
                # The service's own name: another process on this port does not count.
                if answer.ok and answer.json().get("service") == self.service:
                    return
            except (requests.ConnectionError, ValueError):
                pass
            time.sleep(0.05)
        raise self.failure(f"did not answer within {self.start_timeout:g} s")


#: Several processes (or anything with the lifecycle), started in parallel, stopped together.
ProcessGroup = Group


class ShopProcesses(Group):
    """The four shop services, one OS process each, wired to each other by URL."""

    def __init__(
        self,
        config: ShopConfig | None = None,
        *,
        env: dict[str, str] | None = None,
        zero_code: bool = True,
        start_timeout: float = 60.0,
    ) -> None:
        config = config or ShopConfig()
        ports = {name: free_port() for name in CALLS}
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
                for name, peers in CALLS.items()
            }
        )

    @property
    def processes(self) -> dict[str, ServiceProcess]:
        return self.members

    def url(self, service: str = "frontend") -> str:
        return self.members[service].url

    def command(self, service: str = "frontend") -> str:
        """The service's command line, as a learner would type it (with its OTEL_* variables)."""
        process = self.members[service]
        otel = {"OTEL_SERVICE_NAME": service, **STABLE_HTTP, **process.env}
        words = [f"{k}={v}" for k, v in otel.items() if k.startswith("OTEL_")]
        program = ["opentelemetry-instrument"] if process.zero_code else []
        program += ["python", *process.command[2 if process.zero_code else 1 :]]
        return " \\\n".join([*words, shlex.join(program)])
