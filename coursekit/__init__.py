"""The course kit: quizzes, trace waterfalls, service maps, span and log tables, exercise checks.

Lessons import what they show from here; the teaching itself stays in the notebooks.
Importing the kit imports nothing else: each name below loads its module on first use
(``import coursekit as ck`` then ``ck.waterfall(...)``), so ``python -m coursekit.doctor``
does not pay for plotly. A module that draws figures switches plotly to a renderer that
needs no network as it loads (see plotly_offline).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from . import _lean_imports  # noqa: F401  first: before any submodule imports plotly

# name -> "module" (the same name there) or "module:attribute"
_EXPORTS = {
    "SpanRecord": "coursekit.spans",
    "by_trace": "coursekit.spans",
    "checklists": "coursekit.checklist",
    "critical_path": "coursekit.explore",
    "decode_traceparent": "coursekit.traceparent:decode",
    "doctor": "coursekit.doctor",
    "explore": "coursekit.explore",
    "gained_chart": "coursekit.compare",
    "gained_table": "coursekit.compare",
    "latency_chart": "coursekit.overhead",
    "latency_table": "coursekit.overhead",
    "lines_for_trace": "coursekit.logs",
    "log_table": "coursekit.logs",
    "measure_latency": "coursekit.overhead",
    "one_trace": "coursekit.spans",
    "quiz": "coursekit.quiz",
    "records": "coursekit.spans",
    "service_calls": "coursekit.servicemap",
    "service_map": "coursekit.servicemap",
    "span_table": "coursekit.tables",
    "trace_table": "coursekit.tables",
    "traceparent_decoder": "coursekit.traceparent",
    "use_offline_renderer": "coursekit.plotly_offline",
    "waterfall": "coursekit.waterfall",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
            return importlib.import_module(f"{__name__}.{name}")  # ck.tables, as before
        raise AttributeError(f"module 'coursekit' has no attribute {name!r}")
    module, _, attribute = _EXPORTS[name].partition(":")
    return getattr(importlib.import_module(module), attribute or name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Kit(types.ModuleType):
    """``ck.quiz``, ``ck.waterfall``, ``ck.explore`` and ``ck.doctor`` stay functions. Each
    shares its name with the submodule it lives in, and importing a submodule sets the
    package's attribute of that name to the module: that one assignment is ignored."""

    def __setattr__(self, name: str, value) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Kit
