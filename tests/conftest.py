"""Shared fixtures: a running shop, the built book, and a headless Chromium; and how the
suite is split for `make test` (in parallel) and `make check` (the fast tests only)."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest

from coursekit.book_build import BuildError, build
from services import start_shop

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")


# Slow tests and why; `make check` leaves them out. They run first under `make test`, so
# the longest start early.
SLOW = {
    "test_book.py": "builds the executed book (every notebook), then opens it in Chromium",
    "test_notebook_reruns.py": "runs every lesson and solution twice in one kernel",
    "graders": "runs each solution and exercise once, then the catalogues of answers",
    "test_exercises.py": "regenerates the exercises from the solutions",
    "test_jupyterlab.py": "starts JupyterLab and runs a lesson in Chromium",
    "test_speaker_notes.py": "builds a one-page book and a deck, opens them in Chromium",
    "test_service_processes.py": "starts the shop as real OS processes, zero-code",
    "test_shop_process.py": "starts the shop as its own process",
    "test_receiver_cli.py": "runs the receiver's commands as real processes",
    "test_examples.py": "runs each example as a real process, gunicorn included",
    "test_fuzz_receiver.py": "sends hundreds of generated malformed bodies (Hypothesis)",
    "test_redaction.py": "sends 10,000 generated secrets through OTLP",
    "test_antipatterns.py": "a shop per anti-pattern, export on a slow backend, the doctor run",
}
# Tests that must share one xdist worker: the book's tests share one build, and nbval's
# cells of one notebook run in order in one kernel. Every other test is spread on its own.
ONE_WORKER = ("test_book.py", ".ipynb")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW.keys() & {item.path.name, item.path.parent.name} or item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # xdist's own `--dist loadgroup` ignores its marks under pytest 9 (it renames node ids,
    # which pytest 9 no longer allows), so the grouping is a scheduler: xdist's public hook.
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(ONE_WORKER) else nodeid

    return Grouped(config, log)


@pytest.fixture
def shop():
    with start_shop() as running:
        yield running


@pytest.fixture(scope="session")
def book_out(tmp_path_factory) -> Path:
    """The book built the way `make book` builds it, into a temporary folder (its own cache:
    every notebook is executed)."""
    out = tmp_path_factory.mktemp("book")
    try:
        build(out)
    except BuildError as error:
        pytest.fail(str(error), pytrace=False)
    return out


@pytest.fixture(scope="session")
def built_book(book_out) -> Path:
    return book_out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def serve():
    """serve(folder) -> base URL of a static server on 127.0.0.1, stopped after the session."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class PageWatch:
    """A browser page that records console errors and blocks, and lists, outside requests."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base}/{path}")
        self.page.wait_for_load_state("load")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("headless tests need Debian's Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def watch(browser):
    """watch(base) -> a fresh PageWatch on a new page."""
    pages = []

    def new(base: str) -> PageWatch:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        return PageWatch(page, base)

    yield new
    for page in pages:
        page.close()
