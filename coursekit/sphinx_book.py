"""Sphinx extension for the course book.

- Serves plotly.js with the book, on the pages that draw a figure. The figures' HTML (see
  plotly_offline) expects a global ``Plotly``; this copies the ``plotly.min.js`` shipped in
  the installed plotly package into the book, so charts draw with no network. Done per
  page, the way ``sphinx.ext.mathjax`` adds MathJax only where there is math.
- Drops repeated script tags: sphinx-thebe 0.3.1 registers its inline configuration
  script twice, and the second ``const THEBE_JS_URL`` is a console error on every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .plotly_offline import PLOTLY_JS


def _page_scripts(app, pagename, templatename, context, doctree) -> None:
    if "plotly-graph-div" in context.get("body", ""):
        app.add_js_file(PLOTLY_JS.name, priority=100)
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        # the same script may come once with filename None and once with filename ""
        filename = getattr(script, "filename", script) or ""
        key = (filename, repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    context["script_files"] = scripts


def _copy_plotly(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(exist_ok=True)
        shutil.copyfile(PLOTLY_JS, static / PLOTLY_JS.name)


def setup(app):
    app.connect("html-page-context", _page_scripts)
    app.connect("build-finished", _copy_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
