"""The lesson as a learner meets it: JupyterLab in headless Chromium, Run All Cells, then
the quiz widget answers and the waterfall is drawn."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on 127.0.0.1, serving a copy of notebooks/ (autosave must not touch the repo)."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    command = [
        Path(sys.executable).parent / "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
        "--LabApp.news_url=None", f"--ServerApp.root_dir={tmp_path}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if lab.poll() is not None or time.monotonic() > deadline:
                lab.kill()
                pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()}")
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    lab.terminate()
    lab.wait(timeout=20)
    log.close()


def test_lesson_runs_in_jupyterlab_with_widget_quizzes_and_figures(jupyterlab, watch):
    view = watch(jupyterlab)
    page = view.page
    page.goto(f"{jupyterlab}/lab/tree/notebooks/01_incident.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot').length === 2"
        " && document.querySelectorAll('.widget-radio-box').length === 3",  # 2 quizzes, 1 predict
        timeout=120_000,
    )
    assert page.locator(".jp-OutputArea-output[data-mime-type*='stderr']").count() == 0
    assert (
        page.locator(".jp-OutputArea-output .jp-RenderedText pre:has-text('Traceback')").count()
        == 0
    )
    assert page.locator(".js-plotly-plot").first.locator(".barlayer .bars path").count() == 9

    quizzes = page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator("button"))
    quiz = quizzes.nth(1)  # a prediction has no Check button
    quiz.locator("input").nth(0).check()
    quiz.locator("button").click()
    page.wait_for_function("document.body.innerText.includes('Not quite: A.')")
    quiz.locator("input").nth(2).check()
    quiz.locator("button").click()
    page.wait_for_function("document.body.innerText.includes('Correct: C.')")
    assert view.outside == []
