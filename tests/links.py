"""Internal links of a built HTML site: every local href must reach a file, and its
#fragment an element id (or a name) in that file. Used on the book and the workshop."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Pages Sphinx writes that are not the course's: search and index pages, sources.
SKIP = ("_static/", "_sources/", "_images/")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def broken_links(root: Path) -> list[str]:
    """``page: href`` for each local link of the site under ``root`` that leads nowhere."""
    pages = {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*.html"))
        if not p.relative_to(root).as_posix().startswith(SKIP)
    }
    parsed: dict[str, _Page] = {}

    def page(name: str) -> _Page:
        if name not in parsed:
            parsed[name] = _parse(root / name)
        return parsed[name]

    broken = []
    for name in pages:
        for href in page(name).hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = name
            if parts.path:
                target = posixpath.normpath(
                    posixpath.join(posixpath.dirname(name), unquote(parts.path))
                )
                if target.endswith("/") or (root / target).is_dir():
                    target = posixpath.join(target, "index.html")
            if target.startswith("../") or not (root / target).is_file():
                broken.append(f"{name}: {href} (no file {target})")
                continue
            # As browsers do (HTML's "indicated part"): the fragment as written, then decoded.
            fragment = unquote(parts.fragment)
            if not fragment or not target.endswith(".html"):
                continue
            if not {parts.fragment, fragment} & set(page(target).ids):
                broken.append(f"{name}: {href} (no id {fragment!r} in {target})")
    return broken
