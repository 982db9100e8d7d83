"""Every lesson and solution runs top to bottom twice in one kernel: no leaked threads or
ports, and its checked outputs are the same both times."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.notebook_files import is_checked

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)

PROBE = """
import json, os, threading
from services.common.lifecycle import running
from services.run.in_process import Shop
from services.run.processes import ServiceProcess, child_pids
from services.run.shop_process import ShopProcess
_shops = running(Shop)
print(json.dumps({"threads": sorted(t.name for t in threading.enumerate()),
                  "running_shops": len(_shops),
                  "open_shop_ports": sum(len(s.urls) for s in _shops),
                  "shop_processes": len(running(ShopProcess)),
                  "service_processes": len(running(ServiceProcess)),
                  "child_processes": len(child_pids(os.getpid()))}))
"""


def checked_outputs(nb) -> list[str]:
    return [
        "".join(o.get("text", "") for o in cell.outputs)
        for cell in nb.cells
        if cell.cell_type == "code" and is_checked(cell)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_runs_twice_in_one_kernel_without_leaks(path):
    nb = nbformat.read(path, as_version=4)
    lesson_cells = len(nb.cells)
    nb.cells = [nbformat.v4.new_code_cell(PROBE), *nb.cells, nbformat.v4.new_code_cell(PROBE)]
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    runs = []
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        for _ in range(2):
            for index in range(1, lesson_cells + 1):
                if nb.cells[index].cell_type == "code":
                    client.execute_cell(nb.cells[index], index)
            runs.append(checked_outputs(nb))
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
    baseline = json.loads(nb.cells[0].outputs[0]["text"])
    after = json.loads(nb.cells[-1].outputs[0]["text"])
    assert runs[0] == runs[1], "checked outputs differ between two runs"
    assert all(runs[0]), "a checked cell printed nothing"
    assert after["running_shops"] == 0 and after["open_shop_ports"] == 0
    assert after["shop_processes"] == 0, "a shop process was left running"
    assert after["service_processes"] == 0 and after["child_processes"] == 0
    leaked = sorted(set(after["threads"]) - set(baseline["threads"]))
    assert not leaked, f"threads left running: {leaked}"
    stored = checked_outputs(nbformat.read(path, as_version=4))
    assert runs[0] == stored, "the stored checked outputs are out of date: make refresh"
