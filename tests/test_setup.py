"""The set-up a new user runs: the lock, and the book build's cache of executed notebooks."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from coursekit import book_build

ROOT = Path(__file__).resolve().parent.parent


def locked() -> dict[str, str]:
    """requirements.txt as {name: version}, checking that every pin carries a hash."""
    text = (ROOT / "requirements.txt").read_text()
    pins = {}
    for block in re.split(r"\n(?=\S)", text):
        head = block.split("\\", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        requirement = Requirement(head)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{head}: the lock pins exact versions"
        assert "--hash=sha256:" in block, f"{head}: the lock carries hashes"
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def test_every_package_requirements_in_names_is_pinned_by_the_lock():
    pins = locked()
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{wanted.name} is in requirements.in but not locked: make lock"
        assert pins[name] in wanted.specifier, (
            f"{wanted.name}: requirements.in asks {wanted.specifier}, the lock has "
            f"{pins[name]}: make lock"
        )


def test_the_makefile_bootstraps_the_uv_the_lock_pins():
    makefile = (ROOT / "Makefile").read_text()
    assert "s/^uv==" in makefile and "uv==$(UV_VERSION)" in makefile
    assert "uv" in locked()


def test_the_book_executes_every_notebook_its_toc_names():
    names = {p.relative_to(ROOT).as_posix() for p in book_build.toc_notebooks()}
    on_disk = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("notebooks/*.ipynb")}
    on_disk |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob("exercises/*.ipynb")}
    on_disk |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob("book/*.ipynb")}
    assert names == on_disk


def test_long_lessons_start_first():
    names = ["exercises/01_a.ipynb", "notebooks/01_a.ipynb", "notebooks/05_b.ipynb"]
    order = book_build.longest_first([ROOT / name for name in names])
    assert [p.relative_to(ROOT).as_posix() for p in order] == [
        "notebooks/05_b.ipynb",
        "notebooks/01_a.ipynb",
        "exercises/01_a.ipynb",
    ]


def test_the_last_builds_times_order_the_next_build(tmp_path):
    names = ["notebooks/01_a.ipynb", "notebooks/04_instrumentation.ipynb", "notebooks/09_z.ipynb"]
    paths = [ROOT / name for name in names]
    fresh = book_build.longest_first(paths)  # no times yet: the known long lesson first
    assert fresh[0].name == "04_instrumentation.ipynb"
    book_build.remember_seconds(tmp_path, {"notebooks/01_a.ipynb": 40.0})
    book_build.remember_seconds(tmp_path, {"notebooks/09_z.ipynb": 3.0})  # merged, not replaced
    order = book_build.longest_first(paths, book_build.remembered_seconds(tmp_path))
    assert [p.name for p in order] == ["01_a.ipynb", "04_instrumentation.ipynb", "09_z.ipynb"]


def test_kernels_get_encrypted_sockets_where_pyzmq_can():
    import zmq

    config = book_build.kernel_config()
    wanted = "auto" if zmq.has("curve") else None
    assert config.KernelManager.get("transport_encryption") == wanted


def test_the_cache_is_emptied_when_the_code_the_notebooks_run_changes(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setattr(book_build, "fingerprint", lambda: "shop v1")
    book_build.open_cache(folder)
    (folder / "executed-earlier").write_text("outputs")
    book_build.open_cache(folder)
    assert (folder / "executed-earlier").exists(), "same code: the cache is kept"
    monkeypatch.setattr(book_build, "fingerprint", lambda: "shop v2")
    book_build.open_cache(folder)
    assert not (folder / "executed-earlier").exists(), "the shop changed: outputs are stale"


def test_the_fingerprint_covers_the_shop_the_kit_and_the_lock():
    patterns = book_build.INPUTS
    assert any(p.startswith("services/") for p in patterns)
    assert any(p.startswith("coursekit/") for p in patterns)
    assert "requirements.txt" in patterns
