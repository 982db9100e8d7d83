"""Measure the course: how long a learner waits, and how much memory it takes.

    python scripts/measure.py [--repeat 3] [--skip-test]      (or: make measure)

- a new user's first minutes, each from a fresh clone: `make setup`, `make course` (to the
  built book), `make lab` (to JupyterLab serving lesson 01); and the lock installed into an
  empty venv by uv and by pip, side by side, with no download cache;
- the whole suite, `make test` (set-up already done), once;
- time to first trace: a fresh kernel, to a checkout's waterfall ready to show;
- time to run each lesson and solution top to bottom (a fresh kernel each);
- time to build the executed book;
- peak memory (RSS) of a lesson's kernel, and of the largest process of the book build.

Prints a Markdown table for the README, with the median and the range over the repeats.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
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


def progress(message: str) -> None:
    print(f"measure: {message}", file=sys.stderr, flush=True)


def fresh_clone(folder: Path) -> Path:
    clone = folder / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    return clone


def timed_make(clone: Path, target: str) -> float:
    start = time.perf_counter()
    subprocess.run(["make", target], cwd=clone, check=True, capture_output=True)
    return time.perf_counter() - start


def clone_to(target: str) -> float:
    """Seconds from a fresh clone to `make TARGET` done (uv's download cache as it is)."""
    with tempfile.TemporaryDirectory() as folder:
        return timed_make(fresh_clone(Path(folder)), target)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clone_to_lab() -> float:
    """Seconds from a fresh clone to `make lab` serving lesson 01 (set-up included)."""
    with tempfile.TemporaryDirectory() as folder:
        clone, port = fresh_clone(Path(folder)), free_port()
        args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token="
        url = f"http://127.0.0.1:{port}/api/contents/notebooks/01_incident.ipynb"
        start = time.perf_counter()
        lab = subprocess.Popen(
            ["make", "lab", f"LAB_ARGS={args}"], cwd=clone, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while time.perf_counter() - start < 300:
                try:
                    with urllib.request.urlopen(url, timeout=1) as reply:
                        if reply.status == 200:
                            return time.perf_counter() - start
                except OSError:
                    time.sleep(0.2)
            raise RuntimeError("JupyterLab did not serve lesson 01 within 300 s")
        finally:
            os.killpg(lab.pid, signal.SIGTERM)
            lab.wait(timeout=30)


def install_seconds(tool: str) -> float:
    """Install the lock into an empty venv with no download cache: 'uv' or 'pip'."""
    with tempfile.TemporaryDirectory() as folder:
        venv = Path(folder) / "venv"
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        python, lock = venv / "bin" / "python", ROOT / "requirements.txt"
        if tool == "uv":
            command = [BIN / "uv", "pip", "sync", "--no-cache", "--python", python, lock]
        else:
            command = [python, "-m", "pip", "install", "--no-cache-dir", "-q", "-r", lock]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - start


def make_test_seconds() -> float:
    start = time.perf_counter()
    subprocess.run(["make", "test"], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def build_book() -> float:
    """The executed book into an empty folder: every notebook runs (book_build, in parallel)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "coursekit.book_build", "--out", out],
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
    parser.add_argument("--skip-test", action="store_true", help="do not time make test")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    if shutil.which("make") is None or shutil.which("git") is None:
        parser.error("needs make and git")
    rows = []

    progress("a new user's first minutes, from fresh clones")
    rows.append(("Fresh clone to `make setup` done", summary(
        [clone_to("setup") for _ in range(args.repeat)], "s")))  # fmt: skip
    rows.append(("Fresh clone to `make course` done (set-up and built book)", summary(
        [clone_to("course") for _ in range(args.repeat)], "s")))  # fmt: skip
    rows.append(("Fresh clone to `make lab` serving lesson 01", summary(
        [clone_to_lab() for _ in range(args.repeat)], "s")))  # fmt: skip
    progress("the lock into an empty venv, no download cache: uv and pip in turns")
    uv, pip = [], []
    for _ in range(args.repeat):
        uv.append(install_seconds("uv"))
        pip.append(install_seconds("pip"))
    rows.append(("Install the lock, no cache: `uv pip sync`", summary(uv, "s")))
    rows.append(("Install the lock, no cache: `pip install -r`", summary(pip, "s")))
    if not args.skip_test:
        progress("make test (once)")
        rows.append(("`make test` (set-up done), once", summary([make_test_seconds()], "s")))

    progress("the book, notebooks and memory")

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
