"""Build the executed book: every notebook runs, several at once, and each result is cached.

    python -m coursekit.book_build [--out build/book] [--jobs 4] [--fresh]

Jupyter Book 1 executes notebooks one after another, and the course's notebooks spend
most of their time waiting on sockets and sleeps. So this runs them in parallel, more at
once than there are cores, each in its own kernel from its own folder, with the same
function Jupyter Book's cache mode uses (jupyter-cache's ``single_nb_execution``). Each
executed notebook goes into a jupyter-cache keyed on its code cells; Jupyter Book then
renders with ``execute_notebooks: cache``, finds every notebook there and runs none twice.

A lesson's outputs also depend on the shop, the kit and the installed packages, which
jupyter-cache does not see: the cache is emptied whenever one of their files changes.
A notebook that fails stops the build with its error, and Sphinx still runs with -W, so
a warning fails the build too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml
import zmq
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "book" / "_config.yml"
TOC = ROOT / "book" / "_toc.yml"
# What a notebook's outputs depend on besides its own cells.
INPUTS = ("services/**/*.py", "coursekit/**/*.py", "coursekit/**/*.yaml", "requirements.txt")
DEFAULT_OUT = ROOT / "build" / "book"
JOBS = 4  # the notebooks mostly wait: 4 at once on the 2-core reference machine
TIMEOUT = 300


def toc_notebooks(toc: Path = TOC) -> list[Path]:
    """The notebooks the table of contents names, in its order."""
    found: list[Path] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            name = node.get("file")
            if name and (ROOT / f"{name}.ipynb").exists():
                found.append(ROOT / f"{name}.ipynb")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(toc.read_text()))
    return found


def fingerprint() -> str:
    digest = hashlib.sha256()
    for pattern in INPUTS:
        for path in sorted(ROOT.glob(pattern)):
            if "__pycache__" not in path.parts:
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def open_cache(folder: Path):
    """The jupyter-cache in ``folder``, emptied when the code the notebooks run has changed."""
    stamp = folder / "fingerprint.txt"
    current = fingerprint()
    if folder.exists() and (not stamp.exists() or stamp.read_text() != current):
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)
    return get_cache(str(folder))


# Seconds a notebook runs alone on the reference machine, for a build with no times of its
# own yet (a fresh clone): name one here when it runs much longer than the others (README,
# "Measured"). Unnamed notebooks count as DEFAULT_SECONDS.
TYPICAL_SECONDS = {"notebooks/04_instrumentation.ipynb": 22, "notebooks/05_sampling.ipynb": 18}
DEFAULT_SECONDS = 10


def longest_first(paths: list[Path], seconds: dict[str, float] | None = None) -> list[Path]:
    """The longest notebooks first, so that none starts last and runs on alone: by the
    times of the last build (``seconds``, per path from ROOT), else TYPICAL_SECONDS; lessons
    before exercises, later lessons first, among equals."""
    known = {**TYPICAL_SECONDS, **(seconds or {})}

    def key(path: Path):
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        lesson = path.parent.name == "notebooks"
        return (-known.get(name, DEFAULT_SECONDS), not lesson, [-ord(c) for c in path.name])

    return sorted(paths, key=key)


def remembered_seconds(out: Path) -> dict[str, float]:
    """How long each notebook took in the last build that executed it (kept when the cache
    is emptied: a changed shop changes outputs, rarely how long a lesson runs)."""
    try:
        return json.loads((out / "execution_seconds.json").read_text())
    except (OSError, ValueError):
        return {}


def remember_seconds(out: Path, seconds: dict[str, float]) -> None:
    (out / "execution_seconds.json").write_text(
        json.dumps({**remembered_seconds(out), **seconds}, indent=1, sort_keys=True)
    )


def kernel_config() -> Config:
    """Kernels whose sockets are encrypted (CurveZMQ keys from their manager, jupyter_client
    8.10), where pyzmq can: ipykernel (7.x) then has no reason to warn, once per kernel, that
    TCP is unencrypted. Without CurveZMQ they run as before."""
    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return config


def shorten(text: str, keep: int = 2000) -> str:
    """A long traceback's start (the cell and the error) and its end (where it was raised)."""
    if len(text) <= 2 * keep:
        return text
    return f"{text[:keep]}\n[... {len(text) - 2 * keep} characters ...]\n{text[-keep:]}"


def execute_all(
    paths: list[Path], cache, jobs: int, seconds: dict[str, float] | None = None
) -> list[str]:
    """Execute the notebooks the cache lacks, ``jobs`` at once. Returns the failures; puts
    how long each one took in ``seconds``."""
    todo = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        try:
            cache.match_cache_notebook(nb)
            print(f"  cached    {path.relative_to(ROOT)}", flush=True)
        except KeyError:
            todo.append((path, nb))
    failures = []
    if not todo:
        return failures

    config = kernel_config()

    def run(path: Path, nb):
        return single_nb_execution(
            nb,
            cwd=str(path.parent),
            timeout=TIMEOUT,
            allow_errors=False,
            meta_override=True,
            config=config,
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run, path, nb): path for path, nb in todo}
        for done, future in enumerate(as_completed(futures), 1):
            path = futures[future]
            result = future.result()
            name = path.relative_to(ROOT)
            if result.err is not None:
                failures.append(f"{name}:\n{shorten(result.exc_string)}")
                print(f"  [{done}/{len(todo)}] FAILED  {name}", flush=True)
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(result.nb, str(path), data={"execution_seconds": result.time}),
                check_validity=False,
                overwrite=True,
            )
            print(f"  [{done}/{len(todo)}] executed {name} in {result.time:.1f} s", flush=True)
            if seconds is not None:
                seconds[name.as_posix()] = round(result.time, 1)
    return failures


def executed(paths: list[Path], out: Path = DEFAULT_OUT, jobs: int = JOBS) -> list:
    """The notebooks with their outputs, from the book's cache (executed there if missing)."""
    paths = [Path(p).resolve() for p in paths]
    cache = open_cache(out / "jupyter_cache")
    seconds: dict[str, float] = {}
    order = longest_first(paths, remembered_seconds(out))
    failures = execute_all(order, cache, jobs, seconds)
    remember_seconds(out, seconds)
    if failures:
        raise BuildError("a notebook failed:\n" + "\n".join(failures))
    return [cache.merge_match_into_notebook(nbformat.read(p, as_version=4))[1] for p in paths]


def book_config(out: Path, cache_dir: Path) -> Path:
    """book/_config.yml, pointed at this build's cache."""
    config = yaml.safe_load(CONFIG.read_text())
    config["execute"].update(execute_notebooks="cache", cache=str(cache_dir.resolve()))
    derived = out / "_config.yml"
    derived.write_text(yaml.safe_dump(config, sort_keys=False))
    return derived


def build(out: Path = DEFAULT_OUT, jobs: int = JOBS, fresh: bool = False) -> Path:
    """Execute every notebook of the toc, then render the book. Returns the HTML folder."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    if fresh:
        shutil.rmtree(out / "jupyter_cache", ignore_errors=True)
    notebooks = toc_notebooks()
    print(f"Executing {len(notebooks)} notebooks, {jobs} at once:", flush=True)
    executed(notebooks, out, jobs)
    print(f"Rendering the book with Jupyter Book ({time.monotonic() - started:.0f} s so far)")
    # Sphinx decides what to re-read from file times, not from the cache: start clean.
    shutil.rmtree(out / "_build", ignore_errors=True)
    log = out / "jupyter-book.log"
    command = [
        str(Path(sys.executable).parent / "jupyter-book"), "build", ".",
        "--config", str(book_config(out, out / "jupyter_cache")), "--toc", str(TOC),
        "--path-output", str(out), "-W", "-n", "--keep-going",
    ]  # fmt: skip
    with log.open("w") as sink:
        result = subprocess.run(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log.read_text()[-4000:]
        raise BuildError(f"jupyter-book failed (whole log: {log}):\n{tail}")
    print(f"Built in {time.monotonic() - started:.0f} s")
    return out / "_build" / "html"


class BuildError(RuntimeError):
    pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.book_build", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=JOBS, help="notebooks executed at once")
    parser.add_argument("--fresh", action="store_true", help="empty the cache first")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be 1 or more")
    try:
        html = build(args.out, args.jobs, args.fresh)
    except BuildError as error:
        print(f"book build failed: {error}", file=sys.stderr)
        return 1
    print(f"The book: file://{html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
