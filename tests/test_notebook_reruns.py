"""Every lesson and solution runs top to bottom twice in one kernel: no leaked threads or
ports, and its checked outputs are the same both times.

The first run also does nbval's job (`pytest --nbval-lax` on the notebook): every cell runs
without an error, and each cell tagged nbval-check-output reproduces its stored outputs,
compared the way nbval compares them. So no notebook runs a third time for nbval alone."""

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


# What nbval leaves out of a comparison (nbval.plugin: skip_compare).
NOT_COMPARED = {"application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}


def comparable(cell) -> tuple:
    """A cell's outputs as nbval compares them: streams joined per name, data by MIME type."""
    streams: dict[str, str] = {}
    data = []
    for output in cell.outputs:
        if output.output_type == "stream":
            streams[output.name] = streams.get(output.name, "") + output.text
        elif output.output_type == "error":
            data.append(("error", output.ename, output.evalue))
        else:
            data.append(sorted((k, v) for k, v in output.data.items() if k not in NOT_COMPARED))
    return sorted(streams.items()), data


def checked_outputs(nb) -> list[tuple]:
    return [comparable(c) for c in nb.cells if c.cell_type == "code" and is_checked(c)]


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
    assert all(streams or data for streams, data in runs[0]), "a checked cell printed nothing"
    assert after["running_shops"] == 0 and after["open_shop_ports"] == 0
    assert after["shop_processes"] == 0, "a shop process was left running"
    assert after["service_processes"] == 0 and after["child_processes"] == 0
    leaked = sorted(set(after["threads"]) - set(baseline["threads"]))
    assert not leaked, f"threads left running: {leaked}"
    stored = checked_outputs(nbformat.read(path, as_version=4))
    for number, (now, then) in enumerate(zip(runs[0], stored, strict=True), 1):
        assert now == then, f"checked cell {number}: the stored outputs are out of date\n" + (
            f"stored: {then}\nnow:    {now}\nrun: make refresh (lessons) or make exercises"
        )
