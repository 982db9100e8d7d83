"""A learner's design: one YAML file, read and merged, or one clear line saying why not.

The file has the six parts of the brief (``instrumentation``, ``sampling``, ``backend``,
``pii``, ``performance``, ``rollout``), each with its settings and a ``why:`` in prose,
and an optional ``month_6`` section: the changes for the "storage costs doubled"
scenario, merged over the rest (mappings key by key, anything else replaced).
The Collector configurations inside it are real Collector YAML; YAML anchors let the
``pii`` part's redaction settings be the ones the agent's Collector runs.
"""

from __future__ import annotations

import copy
from pathlib import Path, PurePath

import yaml

PARTS = ("instrumentation", "sampling", "backend", "pii", "performance", "rollout")
TIERS = ("agent", "gateway", "sampler")


class DesignError(ValueError):
    """A design the checks cannot read; the message says where and why, in one line."""


class _UniqueKeys(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping: PyYAML keeps the
    last silently, while the Collector (Go's yaml.v3) refuses to start, and a reader sees
    the first."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable: PyYAML says so itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


_YAML_TYPES = (dict, list, str, int, float, bool, type(None))


def _foreign(value) -> str | None:
    """The name of the first type in ``value`` that YAML does not read back as itself
    (looked up with type() alone: nothing of the object's own runs)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) not in _YAML_TYPES:
            return type(item).__name__
        if type(item) is dict:
            stack.extend(dict.keys(item))
            stack.extend(dict.values(item))
        elif type(item) is list:
            stack.extend(list.__iter__(item))
    return None


def _parse(source) -> tuple[object, str]:
    name = "the design"
    if isinstance(source, dict):
        # Written out and read back as YAML: what is graded is YAML's own values, never an
        # object of the learner's (a float that answers < as it likes, a __float__ that
        # runs code inside the check).
        foreign = _foreign(source)
        if foreign:
            raise DesignError(
                f"the design holds a {foreign}, which YAML cannot write: only mappings, "
                "lists, text, numbers, booleans and null"
            )
        text = yaml.safe_dump(source)
    elif isinstance(source, str | PurePath):
        text = str.__str__(source) if isinstance(source, str) else str(PurePath(source))
    else:
        raise DesignError(
            f"the design is a {type(source).__name__}: give the path to its YAML file, "
            "its text, or a dict"
        )
    if "\n" not in text and not isinstance(source, dict):
        path = Path(text)
        try:
            text, name = path.read_text(encoding="utf-8"), path.name
        except OSError as error:
            raise DesignError(f"cannot read {path}: {error.strerror}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeys), name
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "cannot parse it"
        raise DesignError(f"{name} is not valid YAML{where}: {problem}") from None


def merge(base, changes):
    """``changes`` over ``base``: mappings merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(changes, dict):
        out = dict(base)
        for key, value in changes.items():
            out[key] = merge(base.get(key), value)
        return out
    return copy.deepcopy(changes)


def load(source, month: int = 0, keep_month_6: bool = False) -> dict:
    """The design as a dict (at ``month`` 6, with its ``month_6`` changes merged in; with
    ``keep_month_6``, unmerged, as written)."""
    design, name = _parse(source)
    if not isinstance(design, dict):
        raise DesignError(f"{name} is not a design: a mapping with the parts {', '.join(PARTS)}")
    unknown = set(design) - {*PARTS, "month_6"}
    if "brief" in unknown:
        raise DesignError("the design may not change the brief: its numbers are the check's")
    if unknown:
        raise DesignError(f"{name}: unknown part(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"the parts are {', '.join(PARTS)} and month_6")  # fmt: skip
    missing = [p for p in PARTS if not isinstance(design.get(p), dict)]
    if missing:
        raise DesignError(f"{name}: the part(s) {', '.join(missing)} are missing or empty")
    if keep_month_6:
        return design
    changes = design.pop("month_6", None) or {}
    if month == 6:
        if not isinstance(changes, dict):
            raise DesignError("month_6 holds changes to the parts, as a mapping")
        changes = {k: v for k, v in changes.items() if k != "why"}  # prose, for the rubric
        design = merge(design, changes)
    return design


def get(design: dict, path: str, default=None):
    """A nested value by dotted path ("backend.sampler.config"), or ``default``."""
    node = design
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def require(design: dict, path: str, kind: type | tuple, example: str):
    """A nested value that must be there and of ``kind``, else a DesignError with an example."""
    value = get(design, path)
    if value is None or isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise DesignError(f"{path} is {'missing' if value is None else repr(value)}: "
                          f"it should be like {example}")  # fmt: skip
    return value
