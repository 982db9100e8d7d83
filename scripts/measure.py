"""Measure the course: how long a learner waits, and how much memory it takes.

    python scripts/measure.py [--repeat 3]      (or: make measure)

- time to first trace: a fresh kernel, to a checkout's waterfall ready to show;
- time to run each lesson and solution top to bottom (a fresh kernel each);
- time to build the executed book;
- peak memory (RSS) of a lesson's kernel, and of the largest process of the book build.

Prints a Markdown table for the README, with the median and the range over the repeats.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FIRST_TRACE = """
import requests
import coursekit as ck
from services import start_shop
with start_shop() as shop:
    requests.post(f"{shop.url()}/checkout", json={}, timeout=10)
    bundle = ck.waterfall(shop.spans())._repr_mimebundle_()
assert "text/html" in bundle
"""

# The kernel's own peak, and the largest process it started (lesson 04's services).
PEAK_RSS = (
    "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def time_to_first_trace() -> float:
    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT / "notebooks"))
    try:
        reply = client.execute_interactive(FIRST_TRACE, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        return time.perf_counter() - start
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_notebook(path: Path) -> tuple[float, float, float]:
    """Seconds to run it in a fresh kernel, the kernel's peak RSS and its largest child's, MiB."""
    nb = nbformat.read(path, as_version=4)
    # The kernel itself may have run a short child at start-up: only a larger one counts.
    nb.cells.insert(0, nbformat.v4.new_code_cell(PEAK_RSS))
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_RSS))
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    _, child_at_start = map(int, nb.cells[0].outputs[0]["text"].split())
    peak_kib, child_kib = map(int, nb.cells[-1].outputs[0]["text"].split())
    return seconds, peak_kib / 1024, (child_kib if child_kib > child_at_start else 0) / 1024


def build_book() -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [BIN / "jupyter-book", "build", ".", "--config", "book/_config.yml",
             "--toc", "book/_toc.yml", "--path-output", out, "-W", "-n", "--keep-going"],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - start


def summary(values: list[float], unit: str) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.1f} {unit}"
    return f"{median:.1f} {unit} ({min(values):.1f}–{max(values):.1f})"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []

    # The book first: RUSAGE_CHILDREN keeps the largest process seen so far.
    book = [build_book() for _ in range(args.repeat)]
    book_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows.append(("Build the executed book", summary(book, "s")))
    rows.append(("Peak memory, largest process of the book build", f"{book_peak:.0f} MiB"))

    first = [time_to_first_trace() for _ in range(args.repeat)]
    rows.append(("Time to first trace (fresh kernel to a waterfall)", summary(first, "s")))

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
        (ROOT / "solutions").glob("*.ipynb")
    )
    for path in notebooks:
        runs = [run_notebook(path) for _ in range(args.repeat)]
        name = f"{path.parent.name}/{path.name}"
        rows.append((f"Run {name} (fresh kernel)", summary([s for s, _, _ in runs], "s")))
        memory = f"{max(m for _, m, _ in runs):.0f} MiB"
        child = max(c for _, _, c in runs)
        if child:
            memory += f"; each service process it starts: up to {child:.0f} MiB"
        rows.append((f"Peak memory, kernel running {name}", memory))

    cpu = platform.processor() or platform.machine()
    print(f"Measured on {cpu}, Python {platform.python_version()}, {args.repeat} runs each; ")
    print("median (min–max).\n")
    print("| what | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
