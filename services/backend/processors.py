"""Collector processors for the local receiver, read from a real Collector YAML.

``Pipeline.from_collector_file(path)`` reads ``service.pipelines.traces.processors`` and
runs them in that order on every span that arrives. The processors it knows:

- ``tail_sampling``: as the Collector's, see tail_sampling.py; what comes after it runs on
  the spans of the traces it keeps, when it decides;
- ``redaction``: the Collector's keys with the Collector's meaning (collector-contrib
  ``processor/redactionprocessor``): ``allow_all_keys``; ``allowed_keys`` (fails closed:
  empty, it removes every attribute); ``ignored_keys`` (never removed, never masked);
  ``blocked_key_patterns`` (the whole value of a matching key is masked);
  ``blocked_values`` (the matching part of a value is masked with ``****``, or replaced
  by its ``hash_function`` digest: md5, sha1, sha3 = SHA3-256); ``allowed_values`` (a
  value that matches one is not masked: it wins over ``blocked_values``); ``summary``
  (``debug``: the ``redaction.redacted.keys``/``.count``, ``redaction.masked.keys``/
  ``.count`` and ``redaction.ignored.count`` audit attributes; ``info``: only the counts;
  ``silent``, the default: none);
- ``attributes``: ``actions`` with ``key`` or ``pattern`` and ``action: delete`` or
  ``action: hash`` (SHA-256 hex, as current Collectors hash); other actions stop start-up;
- ``batch`` and ``memory_limiter``: accepted, with no effect here.

Any other processor stops start-up with a message naming it.

**Beyond the Collector.** The Collector's redaction processor (contrib 0.160) applies its
rules to resource, scope, span and span event attributes. This one, with the same
``ignored_keys``, ``blocked_key_patterns``, ``blocked_values`` and ``allowed_values``,
also masks event names and link attributes, ``blocked_values`` in span names and status
messages, and strings inside array and map values (a header captured as a list).
``allowed_keys`` removes span attributes only: the Collector applies it to resource
attributes too, so there a list without ``service.name`` removes it. The audit
attributes count all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

import yaml
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from .tail_sampling import TailSampler

MASK = "****"
HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha3": hashlib.sha3_256}
NO_EFFECT = {"batch", "memory_limiter"}
KNOWN = ("tail_sampling", "redaction", "attributes", "batch", "memory_limiter")


class ConfigError(ValueError):
    """A Collector configuration the receiver cannot run; the message says why."""


def _compile(patterns, what: str) -> list[re.Pattern]:
    compiled = []
    for pattern in patterns or []:
        try:
            compiled.append(re.compile(str(pattern)))
        except re.error as error:
            raise ConfigError(f"{what}: bad regular expression {pattern!r}: {error}") from None
    return compiled


class Redaction:
    """The Collector's redaction processor (see the module docstring)."""

    def __init__(self, settings: dict | None) -> None:
        settings = settings or {}
        self.allow_all_keys = bool(settings.get("allow_all_keys", False))
        self.allowed_keys = set(settings.get("allowed_keys") or [])
        self.ignored_keys = set(settings.get("ignored_keys") or [])
        self.blocked_key_patterns = _compile(settings.get("blocked_key_patterns"), "redaction")
        self.blocked_values = _compile(settings.get("blocked_values"), "redaction")
        self.allowed_values = _compile(settings.get("allowed_values"), "redaction")
        hash_name = str(settings.get("hash_function") or "none").lower()
        if hash_name not in (*HASHES, "none"):
            raise ConfigError(f"redaction: unknown hash_function {hash_name!r}")
        self._hash = HASHES.get(hash_name)
        self.summary = str(settings.get("summary") or "silent").lower()
        if self.summary not in ("debug", "info", "silent"):
            raise ConfigError(
                f"redaction: summary must be debug, info or silent, not {self.summary!r}"
            )

    def _replacement(self, text: str) -> str:
        return self._hash(text.encode()).hexdigest() if self._hash else MASK

    def mask_text(self, text: str) -> tuple[str, bool]:
        """``text`` with its blocked values masked (unless an allowed value matches it)."""
        if not text or any(p.search(text) for p in self.allowed_values):
            return text, False
        masked = text
        for pattern in self.blocked_values:
            masked = pattern.sub(lambda m: self._replacement(m.group(0)), masked)
        return masked, masked != text

    def _mask_value(self, value, whole: bool) -> bool:
        """Mask an AnyValue in place; True if it changed."""
        kind = value.WhichOneof("value")
        if whole:
            if kind == "string_value" and value.string_value in (MASK, ""):
                return False
            text = value.string_value if kind == "string_value" else str(value).strip()
            value.string_value = self._replacement(text)
            return True
        if kind == "string_value":
            masked, changed = self.mask_text(value.string_value)
            if changed:
                value.string_value = masked
            return changed
        if kind == "array_value":
            return any([self._mask_value(v, False) for v in value.array_value.values])
        if kind == "kvlist_value":
            return any([self._mask_value(kv.value, False) for kv in value.kvlist_value.values])
        return False

    def redact_attributes(self, key_values, audit: dict, remove: bool = True) -> None:
        """Redact a repeated KeyValue field in place, counting into ``audit``; with
        ``remove=False``, mask only (the allowed-keys list is for span attributes)."""
        kept = []
        for kv in key_values:
            if kv.key in self.ignored_keys:
                audit["ignored"] += 1
                kept.append(kv)
                continue
            if remove and not self.allow_all_keys and kv.key not in self.allowed_keys:
                audit["redacted"].append(kv.key)
                continue
            whole = any(p.search(kv.key) for p in self.blocked_key_patterns)
            if self._mask_value(kv.value, whole):
                audit["masked"].append(kv.key)
            kept.append(kv)
        if len(kept) != len(key_values):
            copies = [KeyValue(key=kv.key, value=kv.value) for kv in kept]
            del key_values[:]
            key_values.extend(copies)

    def __call__(self, received) -> tuple[object, int]:
        """A redacted copy of a ``ReceivedSpan`` and how many values it changed."""
        from .receiver import attributes
        from .store import resource_proto

        span = SpanProto()
        span.CopyFrom(received.otlp_span)
        audit = {"redacted": [], "masked": [], "ignored": 0}
        self.redact_attributes(span.attributes, audit)
        for event in span.events:
            self.redact_attributes(event.attributes, audit, remove=False)
            event.name, changed = self.mask_text(event.name)
            audit["masked"] += ["event.name"] * changed
        for link in span.links:
            self.redact_attributes(link.attributes, audit, remove=False)
        span.name, changed = self.mask_text(span.name)
        audit["masked"] += ["span.name"] * changed
        span.status.message, changed = self.mask_text(span.status.message)
        audit["masked"] += ["status.message"] * changed
        resource = resource_proto(received.resource)
        self.redact_attributes(resource.attributes, audit, remove=False)
        changed = len(audit["redacted"]) + len(audit["masked"])
        self._summarise(span, audit)
        return replace(received, resource=attributes(resource.attributes), otlp_span=span), changed

    def _summarise(self, span: SpanProto, audit: dict) -> None:
        if self.summary == "silent":
            return

        def put(key: str, value) -> None:
            kv = span.attributes.add(key=key)
            if isinstance(value, int):
                kv.value.int_value = value
            else:
                kv.value.string_value = value

        for what in ("redacted", "masked"):
            if audit[what]:
                if self.summary == "debug":
                    put(f"redaction.{what}.keys", ",".join(sorted(set(audit[what]))))
                put(f"redaction.{what}.count", len(audit[what]))
        if audit["ignored"]:
            put("redaction.ignored.count", audit["ignored"])


class Attributes:
    """The Collector's attributes processor, its ``delete`` and ``hash`` actions."""

    def __init__(self, settings: dict | None) -> None:
        self.actions = []
        for action in (settings or {}).get("actions") or []:
            kind = action.get("action")
            if kind not in ("delete", "hash"):
                raise ConfigError(
                    f"attributes: action {kind!r} is not supported here (only delete and hash)"
                )
            if "key" in action:
                match = re.compile(re.escape(str(action["key"])) + r"\Z").match
            elif "pattern" in action:
                match = _compile([action["pattern"]], "attributes")[0].fullmatch
            else:
                raise ConfigError("attributes: every action needs a key or a pattern")
            self.actions.append((kind, match))

    def __call__(self, received) -> tuple[object, int]:
        span = SpanProto()
        span.CopyFrom(received.otlp_span)
        changed = 0
        for kind, match in self.actions:
            kept = []
            for kv in span.attributes:
                if not match(kv.key):
                    kept.append(KeyValue(key=kv.key, value=kv.value))
                elif kind == "hash":
                    text = kv.value.string_value if kv.value.WhichOneof("value") == "string_value" \
                        else str(kv.value).strip()  # fmt: skip
                    kv_new = KeyValue(key=kv.key)
                    kv_new.value.string_value = hashlib.sha256(text.encode()).hexdigest()
                    kept.append(kv_new)
                    changed += 1
                else:
                    changed += 1
            del span.attributes[:]
            span.attributes.extend(kept)
        return replace(received, otlp_span=span), changed


class Pipeline:
    """Processors run in order; a tail sampler holds spans until it decides."""

    def __init__(self, stages: list | None = None, names: list[str] | None = None) -> None:
        self.stages = stages or []  # (name, processor) pairs
        # every processor of the pipeline, those with no effect here too
        self.names = names if names is not None else [name for name, _ in self.stages]
        samplers = [s for _, s in self.stages if isinstance(s, TailSampler)]
        if len(samplers) > 1:
            raise ConfigError("only one tail_sampling processor per pipeline")
        self.tail_sampler = samplers[0] if samplers else None

    @classmethod
    def from_collector_config(cls, config: dict, **sampler_options) -> Pipeline:
        try:
            names = config["service"]["pipelines"]["traces"].get("processors") or []
        except (KeyError, TypeError, AttributeError):
            raise ConfigError("no service.pipelines.traces in the configuration") from None
        defined = config.get("processors") or {}
        stages = []
        for name in names:
            kind = str(name).split("/")[0]
            if kind not in KNOWN:
                raise ConfigError(
                    f"processor {name!r} is not supported by the local receiver "
                    f"(it runs: {', '.join(KNOWN)})"
                )
            if name not in defined:
                raise ConfigError(f"processor {name!r} is in the pipeline but not defined")
            settings = defined[name]
            if kind == "tail_sampling":
                stages.append((name, TailSampler.from_collector_config(
                    {"processors": {"tail_sampling": settings}}, **sampler_options)))  # fmt: skip
            elif kind == "redaction":
                stages.append((name, Redaction(settings)))
            elif kind == "attributes":
                stages.append((name, Attributes(settings)))
        return cls(stages, [str(name) for name in names])

    @classmethod
    def from_collector_file(cls, path: str | Path, **sampler_options) -> Pipeline:
        try:
            config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(error, "problem", None) or "cannot parse it"
            raise ConfigError(f"{path} is not valid YAML{where}: {problem}") from None
        if not isinstance(config, dict):
            raise ConfigError(f"{path} is not a Collector configuration")
        try:
            return cls.from_collector_config(config, **sampler_options)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, ConfigError):
                raise
            raise ConfigError(f"{path}: {error}") from None

    def _run(self, spans: list, stages) -> list:
        for _, stage in stages:
            if isinstance(stage, TailSampler) or not spans:
                continue
            spans = [stage(s)[0] for s in spans]
        return spans

    def _index(self) -> int:
        return next(i for i, (_, s) in enumerate(self.stages) if isinstance(s, TailSampler))

    def add(self, spans: list) -> list:
        """Run new spans through; return those to store now."""
        if self.tail_sampler is None:
            return self._run(spans, self.stages)
        at = self._index()
        before = self._run(spans, self.stages[:at])
        return self._run(self.tail_sampler.add(before), self.stages[at + 1 :])

    def decide(self, force: bool = False) -> list:
        """The tail sampler's decisions now due, through the processors after it."""
        if self.tail_sampler is None:
            return []
        kept = self.tail_sampler.decide(force=force)
        return self._run(kept, self.stages[self._index() + 1 :])

    def rewriters(self) -> list:
        """The processors that change stored spans (for ``scrub``): redaction, attributes."""
        return [s for _, s in self.stages if isinstance(s, Redaction | Attributes)]

    def scrub(self, received) -> tuple[object, int]:
        changed = 0
        for rewrite in self.rewriters():
            received, n = rewrite(received)
            changed += n
        return received, changed
