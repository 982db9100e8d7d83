"""The course kit: quizzes, trace waterfalls, service maps, span and log tables, exercise checks.

Lessons import what they show from here; the teaching itself stays in the notebooks.
Importing the kit switches plotly to a renderer that needs no network (see plotly_offline).
"""

from . import _lean_imports  # noqa: F401  first: before anything imports plotly
from .checklist import checklists
from .compare import gained_chart, gained_table
from .doctor import doctor as doctor  # the trace doctor (lesson 07)
from .explore import critical_path, explore
from .logs import lines_for_trace, log_table
from .overhead import latency_chart, latency_table, measure_latency
from .plotly_offline import use_offline_renderer
from .quiz import quiz
from .servicemap import service_calls, service_map
from .spans import SpanRecord, by_trace, one_trace, records
from .tables import span_table, trace_table
from .traceparent import decode as decode_traceparent
from .traceparent import traceparent_decoder
from .waterfall import waterfall

use_offline_renderer()

__all__ = [
    "SpanRecord",
    "by_trace",
    "checklists",
    "critical_path",
    "explore",
    "gained_chart",
    "gained_table",
    "latency_chart",
    "latency_table",
    "measure_latency",
    "lines_for_trace",
    "log_table",
    "one_trace",
    "quiz",
    "records",
    "service_calls",
    "service_map",
    "span_table",
    "trace_table",
    "decode_traceparent",
    "traceparent_decoder",
    "waterfall",
]
