"""Render lessons as reveal.js slide decks that work offline.

    python -m coursekit.slides notebooks/01_incident.ipynb [...] --out build/slides

Each notebook is executed first (slides show outputs; the book's cache of executed
notebooks is reused, see book_build), then exported with nbconvert's
SlidesExporter through ``templates/offline_reveal``. The deck folder holds everything it
loads: reveal.js (shipped in the sphinx-revealjs package) and plotly.min.js (shipped in
plotly). Open ``<name>.slides.html`` in a browser; press S for speaker notes.

Speaker notes are markdown cells whose slide type is "Notes" (JupyterLab: property
inspector, Slide Type; in the file ``"slideshow": {"slide_type": "notes"}``), or that
carry the tag ``notes``. nbconvert puts them in the slide they follow as
``<aside class="notes">``, which reveal.js's notes plugin shows in the speaker view (S).
The book leaves them out (see sphinx_book).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import sphinx_revealjs
from nbconvert import SlidesExporter

from .book_build import DEFAULT_OUT, BuildError, executed
from .plotly_offline import PLOTLY_JS
from .sphinx_book import is_note

TEMPLATES = Path(__file__).parent / "templates"
REVEAL_JS = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r'<a href="([^":#]+)(#[^"]*)?">(.*?)</a>', re.DOTALL)


def local_links(body: str, notebook: Path, out_dir: Path) -> str:
    """Relative links of a deck, made to work from ``out_dir``: a link to another lesson
    goes to its deck (or becomes plain text while that lesson does not exist); a link to
    a file of the repository (``../examples/x.py``) goes to a copy beside the decks."""

    def fix(match: re.Match) -> str:
        href, fragment, text = match.group(1), match.group(2) or "", match.group(3)
        target = (notebook.parent / href).resolve()
        if href.endswith(".ipynb"):
            if not target.exists():
                return text
            return f'<a href="{target.stem}.slides.html">{text}</a>'
        if target.is_file() and target.is_relative_to(ROOT):
            copy = out_dir / target.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, copy)
            return f'<a href="{copy.relative_to(out_dir).as_posix()}{fragment}">{text}</a>'
        return match.group(0)

    return LINK.sub(fix, body)


def without_widget_views(nb):
    """Slides have no kernel: keep each quiz's HTML form, drop its widget view."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}) and "text/html" in output["data"]:
                del output["data"][WIDGET_VIEW]
    nb.metadata.pop("widgets", None)
    return nb


def with_notes(nb):
    """Cells tagged ``notes`` become reveal.js speaker notes, like slide type "Notes".
    A worked answer (tagged ``hide-cell``, folded in the book) becomes a fragment: it shows
    on the next key press, after the room has tried the task."""
    for cell in nb.cells:
        slideshow = cell.metadata.setdefault("slideshow", {})
        if is_note(cell):
            slideshow["slide_type"] = "notes"
        elif "hide-cell" in cell.metadata.get("tags", []) and slideshow.get("slide_type") in (
            None,
            "-",
        ):
            slideshow["slide_type"] = "fragment"
    return nb


def slide_cells(nb) -> dict[tuple[int, int], list[int]]:
    """Which cells make each slide: ``{(h, v): [cell indices]}``, as nbconvert groups them.

    ``h`` counts slides and ``v`` the subslides under one, as ``Reveal.slide(h, v)`` does.
    A cell of type "slide" starts the next ``h``, "subslide" the next ``v``; the first cell
    always starts a slide; "skip" cells show nowhere; notes belong to the slide they follow.
    """
    slides: dict[tuple[int, int], list[int]] = {}
    h, v = -1, 0
    for index, cell in enumerate(nb.cells):
        kind = "notes" if is_note(cell) else cell.metadata.get("slideshow", {}).get("slide_type")
        if h < 0 and kind not in {"notes", "skip"}:
            kind = "slide"
        if kind == "slide":
            h, v = h + 1, 0
        elif kind == "subslide":
            v += 1
        if kind != "skip" and h >= 0:
            slides.setdefault((h, v), []).append(index)
    return slides


def render(notebook: Path, out_dir: Path, nb=None) -> Path:
    """Write ``notebook``'s deck into ``out_dir``; ``nb`` is its executed form, if at hand."""
    nb = with_notes(without_widget_views(nb if nb is not None else executed([notebook])[0]))
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
    deck.write_text(local_links(body, notebook.resolve(), out_dir), encoding="utf-8")
    return deck


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.slides")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/slides"))
    parser.add_argument(
        "--book", type=Path, default=DEFAULT_OUT, help="the book build whose cache to reuse"
    )
    args = parser.parse_args(argv)
    try:
        notebooks = executed(args.notebooks, args.book)
    except BuildError as error:
        print(f"slides failed: {error}", file=sys.stderr)
        return 1
    for path, nb in zip(args.notebooks, notebooks, strict=True):
        print(f"slides: {render(path, args.out, nb)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
