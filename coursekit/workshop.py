"""Workshop mode: every lesson's deck, the book, and one index page, all offline.

    python -m coursekit.workshop [--out build/workshop] [--book build/book]

1. Builds the book the way ``make book`` does (coursekit.book_build): every notebook is
   executed into the book's jupyter-cache, or taken from it when nothing changed.
2. Renders a reveal.js deck with speaker notes for every ``notebooks/*.ipynb`` (the
   capstone's too, once it exists) from that same cache: nothing runs twice.
3. Copies the built book beside the decks (the instructor's guide and the checklists are
   in it) and writes ``index.html``, which links every deck, the guide and the book.

The folder is self-contained: copy it to the projector's laptop and open ``index.html``.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
import time
from pathlib import Path

from .book_build import DEFAULT_OUT, ROOT, BuildError, build, executed
from .slides import render, slide_cells

LESSONS = ROOT / "notebooks"
DEFAULT_WORKSHOP = ROOT / "build" / "workshop"
GUIDE = "book/book/instructor_guide.html"
CHECKLISTS = "book/book/checklists.html"


def title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def render_decks(notebooks: list[Path], out: Path, book: Path) -> list[dict]:
    """A deck per notebook, from the book's cache. Prints one line per deck."""
    print(f"Decks: {len(notebooks)} notebooks, taken from the book's cache", flush=True)
    nbs = executed(notebooks, book)
    decks = []
    for n, (path, nb) in enumerate(zip(notebooks, nbs, strict=True), 1):
        started = time.monotonic()
        deck = render(path, out, nb)
        notes = sum(1 for c in nb.cells if "notes" in c.metadata.get("tags", []))
        decks.append(
            {
                "file": deck.name,
                "lesson": path.stem,
                "title": title_of(nb, path.stem),
                "slides": len(slide_cells(nb)),
                "notes": notes,
            }
        )
        print(
            f"  [{n}/{len(notebooks)}] {deck.relative_to(out.parent)}: {len(slide_cells(nb))} "
            f"slides, {notes} speaker notes ({time.monotonic() - started:.1f} s)",
            flush=True,
        )
    return decks


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Workshop: distributed tracing with OpenTelemetry</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; line-height: 1.5; }}
h1 {{ font-size: 1.7rem; }} table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d7de; }}
td.n {{ text-align: right; }} a {{ color: #0969da; }} kbd {{ border: 1px solid #aaa;
       border-radius: 3px; padding: 0 .3em; font-size: .9em; }}
.guide {{ background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
         padding: .8rem 1rem; }}
</style></head>
<body>
<h1>Workshop: distributed tracing with OpenTelemetry</h1>
<p class="guide"><b><a href="{guide}">The instructor's guide</a></b>: half-day and
full-day agendas, what to show live, discussion prompts with model answers, the
learners' common mistakes. Also: <a href="{checklists}">the checklists and red
flags</a>, and <a href="book/book/intro.html">the whole book</a>.</p>
<h2>The decks</h2>
<p>In a deck press <kbd>S</kbd> for the speaker view (notes and the next slide),
<kbd>F</kbd> for full screen, <kbd>Esc</kbd> for the overview. Everything here works
offline.</p>
<table><thead><tr><th>lesson</th><th>deck</th><th>slides</th><th>speaker notes</th>
<th>in the book</th></tr></thead><tbody>
{rows}
</tbody></table>
</body></html>
"""


def write_index(out: Path, decks: list[dict]) -> Path:
    rows = "\n".join(
        f"<tr><td>{html.escape(d['lesson'][:2])}</td>"
        f"<td><a class='deck' href='{html.escape(d['file'])}'>{html.escape(d['title'])}</a></td>"
        f"<td class='n'>{d['slides']}</td><td class='n'>{d['notes']}</td>"
        f"<td><a href='book/notebooks/{html.escape(d['lesson'])}.html'>page</a></td></tr>"
        for d in decks
    )
    index = out / "index.html"
    index.write_text(INDEX.format(guide=GUIDE, checklists=CHECKLISTS, rows=rows), "utf-8")
    return index


def assemble(out: Path, book: Path, notebooks: list[Path] | None = None) -> Path:
    """Decks, the built book and the index into ``out``; the book at ``book`` is built."""
    html_dir = book / "_build" / "html"
    if not (html_dir / "index.html").exists():
        raise BuildError(f"no built book in {html_dir}: build it first")
    notebooks = notebooks if notebooks is not None else sorted(LESSONS.glob("*.ipynb"))
    out.mkdir(parents=True, exist_ok=True)
    decks = render_decks(notebooks, out, book)
    print("Copying the book (the guide and the checklists are in it)", flush=True)
    shutil.rmtree(out / "book", ignore_errors=True)
    shutil.copytree(html_dir, out / "book")
    return write_index(out, decks)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.workshop", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_WORKSHOP)
    parser.add_argument("--book", type=Path, default=DEFAULT_OUT, help="the book build to reuse")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        print("Step 1 of 3: the book (executed notebooks come from its cache)", flush=True)
        build(args.book)
        print("Step 2 of 3: the decks", flush=True)
        out = args.out.resolve()
        index = assemble(out, args.book)
        print("Step 3 of 3: the index", flush=True)
    except BuildError as error:
        print(f"workshop build failed: {error}", file=sys.stderr)
        return 1
    print(f"Workshop ready in {time.monotonic() - started:.0f} s: file://{index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
