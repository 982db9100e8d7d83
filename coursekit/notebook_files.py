"""How the course's notebooks are stored: clean, with only their checked outputs.

A committed notebook keeps the outputs of cells tagged ``nbval-check-output`` (what nbval
compares, in ``--nbval-lax`` mode) and nothing else: no plotly.js, no widget state, no
timings. ``refresh`` re-executes a notebook to update those stored outputs.

    python -m coursekit.notebook_files refresh notebooks/01_incident.ipynb
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat
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
    print(f"refreshed {path}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit.notebook_files")
    parser.add_argument("command", choices=["refresh", "clean"])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.paths:
        if args.command == "refresh":
            refresh(path)
        else:
            nbformat.write(keep_checked_outputs(nbformat.read(path, as_version=4)), path)


if __name__ == "__main__":
    main()
