"""How the course's notebooks are stored: clean, with only their checked outputs.

A committed notebook keeps the outputs of cells tagged ``nbval-check-output`` (what nbval
compares, in ``--nbval-lax`` mode) and nothing else: no plotly.js, no widget state, no
timings. ``refresh`` re-executes a notebook to update those stored outputs.

Each lesson and solution also has a text twin, ``text/<name>.md`` beside it (MyST
Markdown, written by jupytext): the form to read and review in a diff. The notebook is the
source; ``refresh``, ``clean`` and ``text`` rewrite the twin, and a test fails when a twin
is out of date. An author who prefers to write in the text twin runs ``from-text`` to
carry the edit into the notebook (outputs of unchanged cells are kept), then ``refresh``.

    python -m coursekit.notebook_files refresh notebooks/01_incident.ipynb
    python -m coursekit.notebook_files text notebooks/*.ipynb solutions/*.ipynb
    python -m coursekit.notebook_files from-text notebooks/text/01_incident.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from nbclient import NotebookClient

CHECKED = "nbval-check-output"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def is_checked(cell) -> bool:
    return CHECKED in cell.get("metadata", {}).get("tags", [])


def keep_checked_outputs(nb):
    """Clear every output except those of checked cells; drop run counts and widget state."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if not is_checked(cell):  # nbval wants a run count on cells whose outputs it compares
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("jupytext", None)
    # Without a kernelspec JupyterLab asks the learner to pick a kernel.
    nb.metadata["kernelspec"] = KERNELSPEC
    return nb


TEXT_FORMAT = "md:myst"
# The twin must not change when only jupytext's version does.
TEXT_METADATA = {"notebook_metadata_filter": "-jupytext.text_representation.jupytext_version"}


def text_twin(path: Path) -> Path:
    """notebooks/01_incident.ipynb -> notebooks/text/01_incident.md"""
    return path.parent / "text" / f"{path.stem}.md"


def notebook_of(twin: Path) -> Path:
    return twin.parent.parent / f"{twin.stem}.ipynb"


def as_text(nb) -> str:
    nb = nbformat.from_dict(nb)  # a copy: the metadata below is the twin's only
    nb.metadata["jupytext"] = dict(TEXT_METADATA)
    return jupytext.writes(nb, fmt=TEXT_FORMAT)


def write_text_twin(path: Path) -> Path:
    twin = text_twin(path)
    twin.parent.mkdir(exist_ok=True)
    twin.write_text(as_text(nbformat.read(path, as_version=4)), encoding="utf-8")
    return twin


def from_text(twin: Path) -> Path:
    """Carry the text twin's cells into its notebook, keeping unchanged cells' outputs."""
    path = notebook_of(twin)
    source = jupytext.reads(twin.read_text(encoding="utf-8"), fmt=TEXT_FORMAT)
    merged = combine_inputs_with_outputs(source, nbformat.read(path, as_version=4))
    nbformat.write(keep_checked_outputs(merged), path)
    return path


def execute(path: Path, timeout: int = 300):
    """Run a notebook top to bottom in a fresh kernel, from its own folder."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def refresh(path: Path) -> None:
    nb = keep_checked_outputs(execute(path))
    nbformat.write(nb, path)
    write_text_twin(path)
    print(f"refreshed {path}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit.notebook_files")
    parser.add_argument("command", choices=["refresh", "clean", "text", "from-text"])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.paths:
        if not path.exists():
            parser.error(f"no such file: {path}")
        if args.command == "refresh":
            refresh(path)
        elif args.command == "clean":
            nbformat.write(keep_checked_outputs(nbformat.read(path, as_version=4)), path)
            write_text_twin(path)
        elif args.command == "text":
            print(f"wrote {write_text_twin(path)}")
        else:
            print(f"updated {from_text(path)} from {path}: now run make refresh")


if __name__ == "__main__":
    main()
