"""Sphinx extension for the course book.

- Serves plotly.js with the book, on the pages that draw a figure. The figures' HTML (see
  plotly_offline) expects a global ``Plotly``; this copies the ``plotly.min.js`` shipped in
  the installed plotly package into the book, so charts draw with no network. Done per
  page, the way ``sphinx.ext.mathjax`` adds MathJax only where there is math.
- Drops repeated script tags: sphinx-thebe 0.3.1 registers its inline configuration
  script twice, and the second ``const THEBE_JS_URL`` is a console error on every page.
- Leaves speaker notes out of the book. A notes cell (see ``is_note``) is for the
  instructor's slides; the notebooks are read through ``read_notebook``, which tags it
  ``remove-cell``, the tag myst-nb already skips.
- Adds ``coursekit.css``: tables that fit the page's column.
- Sets up ``sphinx_reference``: the Reference part's directives, and links to lessons
  the course plans but the book does not hold yet.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from .plotly_offline import PLOTLY_JS

NOTES_TAG = "notes"
STATIC = Path(__file__).parent / "templates" / "book_static"


def is_note(cell) -> bool:
    """A speaker note: slide type "Notes" (JupyterLab's property inspector), or tag ``notes``."""
    slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    return slide_type == "notes" or NOTES_TAG in cell.get("metadata", {}).get("tags", [])


def read_notebook(text: str):
    """myst-nb's reader for ``.ipynb``, with every notes cell tagged ``remove-cell``."""
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        # only notes cells change: a code cell's metadata is part of jupyter-cache's key
        if is_note(cell) and "remove-cell" not in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), "remove-cell"]
    return nb


def _configure(app, config) -> None:
    formats = dict(config.nb_custom_formats or {})
    formats.setdefault(".ipynb", f"{__name__}.read_notebook")
    config.nb_custom_formats = formats
    config.html_static_path = [*config.html_static_path, str(STATIC)]


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
    # before myst-nb's own config-inited handler (priority 500) registers the formats
    app.connect("config-inited", _configure, priority=400)
    app.connect("html-page-context", _page_scripts)
    app.connect("build-finished", _copy_plotly)
    app.add_css_file("coursekit.css")
    app.setup_extension(f"{__package__}.sphinx_reference")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
