"""Tail sampling for the local receiver, shaped like the Collector's ``tail_sampling``.

The receiver holds each trace's spans until ``decision_wait`` has passed since the trace's
first span arrived. Then every policy looks at the whole trace, and the trace is kept if
*any* policy samples it: the Collector's rule (its inverted and composite policies are
left out). Spans that arrive after the decision follow it.

The policies are read from a Collector configuration, ``policies`` of the
``tail_sampling`` processor, so the YAML the course ships for a real Collector and what the
receiver does are one thing. Policy types:

- ``always_sample``;
- ``status_code``: ``status_codes: [ERROR, ...]``, any span with one of them;
- ``latency``: ``threshold_ms``, the trace from its first start to its last end;
- ``probabilistic``: ``sampling_percentage`` (and ``hash_salt``), decided as the Collector
  decides: an FNV-1a 64-bit hash of the salt and the trace id, under a threshold. Not the
  SDK's ``TraceIdRatioBased`` rule, so the Collector's 10% is independent of the 10% an
  SDK kept: layered, they keep about 1%;
- ``rate_limiting``: ``spans_per_second``, a budget of spans per second of decisions.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml
from fnvhash import fnv1a_64  # the Collector's hash, FNV-1a 64 bits (Go's hash/fnv)

STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}
DEFAULT_HASH_SALT = "default-hash-seed"  # the Collector's, when hash_salt is not set
_MASK = 2**64 - 1


def probabilistic_threshold(percentage: float) -> int:
    """The largest hash kept at ``percentage``, as the Collector computes it."""
    return min(_MASK, int(Fraction(_MASK) * Fraction(percentage / 100)))


def _duration_ms(spans) -> float:
    start = min(s.otlp_span.start_time_unix_nano for s in spans)
    end = max(s.otlp_span.end_time_unix_nano for s in spans)
    return (end - start) / 1e6


@dataclass
class Policy:
    name: str
    type: str
    settings: dict
    _threshold: int = field(default=0, repr=False)
    _salt: bytes = field(default=b"", repr=False)
    _second: int = field(default=-1, repr=False)
    _spans_this_second: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if self.type not in ("always_sample", "status_code", "latency", "probabilistic",
                             "rate_limiting"):  # fmt: skip
            raise ValueError(f"policy {self.name!r}: unsupported type {self.type!r}")
        if self.type == "probabilistic":
            self._threshold = probabilistic_threshold(float(self.settings["sampling_percentage"]))
            self._salt = str(self.settings.get("hash_salt") or DEFAULT_HASH_SALT).encode()

    def samples(self, trace_id: bytes, spans, now: float) -> bool:
        if self.type == "always_sample":
            return True
        if self.type == "status_code":
            wanted = set(self.settings["status_codes"])
            return any(STATUS_NAMES[s.otlp_span.status.code] in wanted for s in spans)
        if self.type == "latency":
            return _duration_ms(spans) >= float(self.settings["threshold_ms"])
        if self.type == "probabilistic":
            return fnv1a_64(self._salt + trace_id) <= self._threshold
        # rate_limiting: keep traces while this second's span budget lasts
        second = int(now)
        if second != self._second:
            self._second, self._spans_this_second = second, 0
        if self._spans_this_second + len(spans) > int(self.settings["spans_per_second"]):
            return False
        self._spans_this_second += len(spans)
        return True


#: A Go duration, as the Collector reads it (time.ParseDuration): 15s, 1m30s, 12s500ms.
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value) -> float:
    """A Collector duration ("10s", "500ms", "1m30s") or a number of seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text and re.fullmatch(f"(?:{_DURATION.pattern})+", text):
        return sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))
    return float(text)


class TailSampler:
    """Holds spans per trace; after ``decision_wait_s``, keeps a trace if a policy samples it."""

    def __init__(
        self,
        policies: list[Policy],
        decision_wait_s: float = 30.0,
        clock=time.monotonic,
        num_traces: int = 50_000,
    ):
        if not policies:
            raise ValueError("tail sampling needs at least one policy")
        self.policies = policies
        self.decision_wait_s = decision_wait_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[bytes, tuple[float, list]] = {}
        # Decisions remembered for late spans; the oldest are forgotten past num_traces,
        # as the Collector forgets traces past its num_traces.
        self._decided: OrderedDict[bytes, bool] = OrderedDict()
        self.num_traces = num_traces
        self.kept_by = Counter()  # policy name -> traces it sampled
        self.traces_kept = 0
        self.traces_dropped = 0

    @classmethod
    def from_collector_config(cls, config: dict, **options) -> TailSampler:
        """From a Collector configuration, parsed: its ``processors.tail_sampling``."""
        settings = config["processors"]["tail_sampling"]
        policies = [
            Policy(p["name"], p["type"], dict(p.get(p["type"]) or {})) for p in settings["policies"]
        ]
        wait = _seconds(settings.get("decision_wait", "30s"))
        options.setdefault("num_traces", int(settings.get("num_traces", 50_000)))
        return cls(policies, options.pop("decision_wait_s", wait), **options)

    @classmethod
    def from_collector_file(cls, path: str | Path, **options) -> TailSampler:
        """From a Collector configuration file, such as docker/otel-collector-tail-sampling.yaml."""
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls.from_collector_config(config, **options)

    def add(self, received_spans) -> list:
        """Take new spans; return the spans that are now kept (of traces already decided)."""
        now = self._clock()
        kept = []
        with self._lock:
            for span in received_spans:
                trace_id = span.otlp_span.trace_id
                if trace_id in self._decided:
                    if self._decided[trace_id]:
                        kept.append(span)
                    continue
                first_seen, spans = self._pending.setdefault(trace_id, (now, []))
                spans.append(span)
        return kept + self.decide(force=False)

    def decide(self, force: bool = False) -> list:
        """Decide every trace whose wait is over (every pending trace, with ``force``);
        return the spans of the traces kept."""
        now = self._clock()
        kept = []
        with self._lock:
            due = [t for t, (first_seen, _) in self._pending.items()
                   if force or now - first_seen >= self.decision_wait_s]  # fmt: skip
            for trace_id in due:
                _, spans = self._pending.pop(trace_id)
                sampled_by = [p.name for p in self.policies if p.samples(trace_id, spans, now)]
                self._decided[trace_id] = bool(sampled_by)
                if len(self._decided) > self.num_traces:
                    self._decided.popitem(last=False)
                if sampled_by:
                    self.traces_kept += 1
                    self.kept_by.update(sampled_by)
                    kept.extend(spans)
                else:
                    self.traces_dropped += 1
        return kept

    @property
    def pending_traces(self) -> int:
        with self._lock:
            return len(self._pending)
