"""
The ``testing`` extra is the reviewer's whole install: the demo portal the
review tutorial starts with loads nothing that extra does not bring.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

#: Run in a fresh interpreter: the modules the demo loads beyond the interpreter's own start.
_LOAD_DEMO = """
import sys
before = set(sys.modules)
import pathlib, socket, tempfile
from ircc_account.demo import DemoConfig, start_demo
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
with tempfile.TemporaryDirectory() as folder:
    start_demo(DemoConfig(data=pathlib.Path(folder, "demo-data"), port=port)).close()
print("MODULES", " ".join(sorted({n.partition(".")[0] for n in set(sys.modules) - before})))
"""


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _extras(requirement: str) -> set[str]:
    found = re.search(r"\[([^\]]*)\]", requirement.partition(";")[0])
    return {e.strip() for e in found.group(1).split(",")} if found else set()


def _applies(requirement: str, extras: set[str]) -> bool:
    from packaging.markers import Marker

    _, _, marker = requirement.partition(";")
    if not marker.strip():
        return True
    return any(Marker(marker).evaluate({"extra": e}) for e in extras | {""})


def _closure(extra: str) -> set[str]:
    """The distributions ``pip install 'ircc-account[extra]'`` brings, by this checkout's pyproject."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted, extras = {"ircc-account"}, {extra}
    todo = list(extras)
    while todo:
        for requirement in project["optional-dependencies"][todo.pop()]:
            if _name(requirement) == "ircc-account":
                todo.extend(_extras(requirement) - extras)
                extras |= _extras(requirement)
    pending = [(r, set()) for r in project["dependencies"]]
    pending += [(r, set()) for e in extras for r in project["optional-dependencies"][e]]
    while pending:
        requirement, given = pending.pop()
        name = _name(requirement)
        if name == "ircc-account" or not _applies(requirement, given):
            continue
        key = name if not _extras(requirement) else f"{name}{sorted(_extras(requirement))}"
        if key in wanted:
            continue
        wanted |= {name, key}
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        pending += [(r, _extras(requirement)) for r in requires]
    return wanted


@pytest.mark.slow
def test_the_testing_extra_holds_everything_the_demo_loads() -> None:
    """Every third-party distribution the demo portal imports when it starts is brought by pip install 'ircc-account[testing]'."""
    pytest.importorskip("starlette")
    run = subprocess.run(
        [sys.executable, "-c", _LOAD_DEMO],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    modules = run.stdout.rpartition("MODULES ")[2].split()
    by_module = importlib.metadata.packages_distributions()
    loaded = {
        dist.lower().replace("_", "-")
        for module in modules
        if module not in sys.stdlib_module_names
        for dist in by_module.get(module, [])
    }
    missing = sorted(loaded - _closure("testing"))
    assert not missing, f"the demo loads distributions the testing extra lacks: {missing}"
