"""Render lessons as reveal.js slide decks that work offline.

    python -m coursekit.slides notebooks/01_incident.ipynb [...] --out build/slides

Each notebook is executed first (slides show outputs; the book's cache of executed
notebooks is reused, see book_build), then exported with nbconvert's
SlidesExporter through ``templates/offline_reveal``. The deck folder holds everything it
loads: reveal.js (shipped in the sphinx-revealjs package) and plotly.min.js (shipped in
plotly). Open ``<name>.slides.html`` in a browser; press S for speaker notes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import sphinx_revealjs
from nbconvert import SlidesExporter

from .book_build import BuildError, executed
from .plotly_offline import PLOTLY_JS

TEMPLATES = Path(__file__).parent / "templates"
REVEAL_JS = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def without_widget_views(nb):
    """Slides have no kernel: keep each quiz's HTML form, drop its widget view."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}) and "text/html" in output["data"]:
                del output["data"][WIDGET_VIEW]
    nb.metadata.pop("widgets", None)
    return nb


def render(notebook: Path, out_dir: Path, nb=None) -> Path:
    """Write ``notebook``'s deck into ``out_dir``; ``nb`` is its executed form, if at hand."""
    nb = without_widget_views(nb if nb is not None else executed([notebook])[0])
    exporter = SlidesExporter(
        template_name="offline_reveal",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_url_prefix="reveal.js",
        reveal_theme="white",  # its fonts ship with reveal.js; "simple" loads Google Fonts
        reveal_scroll=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    out_dir.mkdir(parents=True, exist_ok=True)
    for part in ("dist", "plugin"):
        shutil.copytree(REVEAL_JS / part, out_dir / "reveal.js" / part, dirs_exist_ok=True)
    shutil.copyfile(PLOTLY_JS, out_dir / PLOTLY_JS.name)
    deck = out_dir / f"{notebook.stem}.slides.html"
    deck.write_text(body, encoding="utf-8")
    return deck


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit.slides")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/slides"))
    args = parser.parse_args(argv)
    try:
        notebooks = executed(args.notebooks)
    except BuildError as error:
        print(f"slides failed: {error}", file=sys.stderr)
        return 1
    for path, nb in zip(args.notebooks, notebooks, strict=True):
        print(f"slides: {render(path, args.out, nb)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
