"""The stable HTTP semantic conventions, in every way the shop runs.

The Flask and requests instrumentations (0.66b1) emit the old names (``http.method``,
``net.host.name``) unless ``OTEL_SEMCONV_STABILITY_OPT_IN=http``, and they read that
variable once per process, when the first of them is set up
(``opentelemetry.instrumentation._semconv``). So the variable must be in the environment
before that, and any instrumentor's ``instrument()`` does it (``BaseInstrumentor``).
So ``import services`` sets it (``services/__init__.py``), ``use_stable_http()`` sets it
again and warns if it came too late, and ``STABLE_HTTP`` goes into every child's
environment, where ``opentelemetry-instrument`` reads it before it loads an
instrumentation.
"""

from __future__ import annotations

import os
import warnings

from . import sdk_private

OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
#: What a child process gets, so that ``opentelemetry-instrument`` emits the stable names.
STABLE_HTTP = {OPT_IN: "http"}


def use_stable_http() -> None:
    """Make this process's HTTP instrumentations emit the stable names, or say why not."""
    os.environ.setdefault(OPT_IN, "http")
    if not sdk_private.http_semconv_is_stable():
        warnings.warn(
            "an HTTP instrumentation was set up in this process before "
            f"{OPT_IN}=http was set: spans carry the old attribute names "
            "(http.method, net.host.name); restart the kernel and start the shop first",
            stacklevel=3,
        )
