"""The article's checklists and red flags, from one data file (``checklists.yaml``).

``ck.checklists()`` shows them. In JupyterLab it is a widget: a check box per item, a
link to the lesson section that teaches it, and a Summary button that writes what is
done and what is not as Markdown to paste into a ticket or a wiki. In the book (no kernel)
the same output is a static list: MyST Markdown whose ``{ref}`` links Sphinx resolves and
checks (the cell asks for ``markdown_format: myst``; ``_config.yml`` prefers Markdown to
the widget view). A ticked red flag means "checked: not in our system".
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
import yaml

from .widget_bundle import with_widget

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "checklists.yaml"
LABEL_LINE = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$")
RED_FLAGS = "red-flags"


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklists:
    lessons: dict[str, str]  # label prefix -> notebook path without .ipynb, from ROOT
    lists: tuple[Checklist, ...]  # the article's six, then the red flags

    @property
    def items(self) -> list[Item]:
        return [item for checklist in self.lists for item in checklist.items]

    def lesson_of(self, label: str) -> str:
        """The notebook (``notebooks/05_sampling``) whose section a label names."""
        return self.lessons[label.split("-", 1)[0]]


def problems(data) -> list[str]:
    """What is wrong with the checklists' data (an empty list when it is fine)."""
    if not isinstance(data, dict) or not {"lessons", "checklists", "red_flags"} <= set(data):
        return ["checklists.yaml needs lessons, checklists and red_flags"]
    found = []
    lists = [*data["checklists"], {"id": RED_FLAGS, **data["red_flags"]}]
    ids = [c.get("id") for c in lists]
    if len(set(ids)) != len(ids):
        found.append(f"checklist ids repeat: {ids}")
    for checklist in lists:
        name = checklist.get("id", "?")
        if not str(checklist.get("title", "")).strip():
            found.append(f"{name}: needs a title")
        items = checklist.get("items")
        if not isinstance(items, list) or not items:
            found.append(f"{name}: needs items")
            continue
        for n, item in enumerate(items, 1):
            refs = item.get("refs") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not str(item.get("text", "")).strip():
                found.append(f"{name} item {n}: needs a text")
            elif not isinstance(refs, list) or not refs:
                found.append(f"{name} item {n}: needs refs, the labels of the sections it links")
            else:
                for ref in refs:
                    if ref.split("-", 1)[0] not in data["lessons"]:
                        found.append(f"{name} item {n}: no lesson holds labels like {ref!r}")
    return found


@cache
def load(path: Path = DATA) -> Checklists:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = problems(data)
    if found:
        raise ValueError("\n".join(found))

    def checklist(raw) -> Checklist:
        items = tuple(
            Item(f"{raw['id']}-{n}", " ".join(i["text"].split()), tuple(i["refs"]))
            for n, i in enumerate(raw["items"], 1)
        )
        return Checklist(raw["id"], raw["title"], items)

    lists = [checklist(c) for c in data["checklists"]]
    lists.append(checklist({"id": RED_FLAGS, **data["red_flags"]}))
    return Checklists(dict(data["lessons"]), tuple(lists))


def labels_in(notebook: Path) -> dict[str, str]:
    """The MyST labels of a notebook's markdown cells, with the heading each one names."""
    found = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for n, line in enumerate(lines):
            match = LABEL_LINE.match(line)
            if match:
                heading = lines[n + 1] if n + 1 < len(lines) else ""
                found[match.group(1)] = heading.lstrip("#").strip()
    return found


def lesson_number(notebook: str) -> str:
    return Path(notebook).name.split("_", 1)[0]


# --- the summary ------------------------------------------------------------------------------
def summary(
    checked: set[str] | frozenset[str] = frozenset(), data: Checklists | None = None
) -> str:
    """What is done and what is not, as Markdown task lists to paste into a ticket."""
    data = data or load()
    done = sum(item.id in checked for item in data.items)
    lines = [f"## Tracing readiness: {done} of {len(data.items)} checked"]
    for checklist in data.lists:
        ticked = sum(item.id in checked for item in checklist.items)
        verb = "cleared" if checklist.id == RED_FLAGS else "done"
        lines += ["", f"### {checklist.title}: {ticked} of {len(checklist.items)} {verb}"]
        lines += [f"- [{'x' if i.id in checked else ' '}] {i.text}" for i in checklist.items]
    return "\n".join(lines)


# --- the book's static list -------------------------------------------------------------------
def markdown(data: Checklists | None = None) -> str:
    """Every checklist as MyST Markdown: an empty box, the item, links to its sections."""
    data = data or load()
    parts = []
    for checklist in data.lists:
        parts.append(f"**{checklist.title}**\n")
        for item in checklist.items:
            links = ", ".join(
                f"{lesson_number(data.lesson_of(ref))}: {{ref}}`{ref}`" for ref in item.refs
            )
            parts.append(f"- ☐ {item.text} *Learn it in* {links}.")
        parts.append("")
    return "\n".join(parts)


def plain_text(data: Checklists | None = None) -> str:
    data = data or load()
    return summary(frozenset(), data) + "\n\n(In JupyterLab: tick the boxes, then Summary.)"


# --- the widget -------------------------------------------------------------------------------
@dataclass
class Board:
    """The checklists with their check boxes' state; ``summary()`` is what Summary shows."""

    data: Checklists = field(default_factory=load)
    checked: set[str] = field(default_factory=set)

    def check(self, *ids: str) -> None:
        known = {item.id for item in self.data.items}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"no item {unknown[0]!r}; ids look like 'sampling-2'")
        self.checked.update(ids)

    def summary(self) -> str:
        return summary(self.checked, self.data)

    def link(self, label: str, here: Path | None = None) -> str:
        """An HTML link to a label's lesson, relative to the folder the kernel runs in."""
        notebook = ROOT / f"{self.data.lesson_of(label)}.ipynb"
        href = os.path.relpath(notebook, here or Path.cwd())
        heading = labels_in(notebook).get(label) if notebook.exists() else None
        if heading:  # JupyterLab's id for a heading: its text with spaces as dashes
            href += "#" + heading.replace(" ", "-").replace("`", "")
        name = f"{lesson_number(notebook.stem)}: {heading or label}"
        return f"<a href='{html.escape(href)}'>{html.escape(name)}</a>"

    def widget(self):
        import ipywidgets as widgets

        rows = []
        self.boxes = {}
        for checklist in self.data.lists:
            rows.append(widgets.HTML(f"<h3>{html.escape(checklist.title)}</h3>"))
            for item in checklist.items:
                box = widgets.Checkbox(value=item.id in self.checked, indent=False)
                box.layout.width = "2em"
                box.observe(self._toggle(item.id), names="value")
                self.boxes[item.id] = box
                links = ", ".join(self.link(ref) for ref in item.refs)
                text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(item.text))
                label = widgets.HTML(f"{text} <small>Learn it in {links}.</small>")
                rows.append(widgets.HBox([box, label]))
        self.output = widgets.Textarea(layout={"width": "100%", "height": "14em"})
        button = widgets.Button(description="Summary", button_style="primary")
        button.on_click(lambda _: setattr(self.output, "value", self.summary()))
        rows += [button, self.output]
        return widgets.VBox(rows)

    def _toggle(self, item_id: str):
        def changed(change) -> None:
            (self.checked.add if change["new"] else self.checked.discard)(item_id)

        return changed

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": plain_text(self.data), "text/markdown": markdown(self.data)}
        return with_widget(bundle, self.widget)


def checklists() -> Board:
    """The checklists and red flags: check boxes in JupyterLab, a linked list in the book."""
    return Board()
