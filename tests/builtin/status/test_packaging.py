"""
Both built-in services install through their entry points: the package,
pip-installed into a fresh virtual environment, publishes them under
``ircc_account.services``, and the registry discovers and starts them
from the allowlist alone; the demo portal allowlists both.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import sysconfig
import textwrap
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]

CHECK = textwrap.dedent(
    """
    import importlib.metadata, pathlib, sys, tempfile
    from ircc_account import Keyring, SystemClock
    from ircc_account.storage import open_store
    from ircc_account.audit import AuditLog
    from ircc_account.delegation import Policy
    from ircc_account.services import AllowedPlugin, ServiceRegistry

    version = sys.argv[1]
    dist = importlib.metadata.distribution("ircc-account")
    mine = {"status-tracker", "decision-notes"}
    print(sorted(e.name for e in dist.entry_points if e.group == "ircc_account.services" and e.name in mine))
    db = pathlib.Path(tempfile.mkdtemp()) / "a.db"
    store = open_store(f"sqlite:///{db}", keyring=Keyring.generate())
    registry = ServiceRegistry(
        store=store, policy=Policy(clock=SystemClock(), audit=AuditLog(store)),
        allowed=[AllowedPlugin("status-tracker", "ircc-account", version),
                 AllowedPlugin("decision-notes", "ircc-account", version)],
    )
    print(sorted(registry.discover()))
    registry.start()
    print(registry.manifest("status-tracker").title.fr, "|", registry.manifest("decision-notes").title.fr)
    registry.close()
    store.close()
    from ircc_account.demo import builtin_services
    print(sorted((a.name, a.distribution, a.version == version) for a in builtin_services() if a.name in mine))
    """
)


@pytest.mark.slow
def test_both_services_install_through_their_entry_points(tmp_path: pathlib.Path) -> None:
    """pip install of the package in a fresh venv; its entry points name both services, the registry discovers them, and the demo allowlists both."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", env], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies come from this environment (appended after the fresh
    # venv's own site-packages, where the package under test is installed).
    parent = sysconfig.get_paths()["purelib"]
    pathlib.Path(purelib, "_ircc_parent.pth").write_text(
        f"import site; site.addsitedir({parent!r})\n"
    )
    # The installed copy alone: not the source tree a PYTHONPATH may point at.
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", ROOT],
        check=True,
        timeout=300,
        env=clean,
    )
    out = subprocess.run(
        [python, "-c", CHECK, version],
        check=True, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=clean,
    ).stdout.splitlines()  # fmt: skip
    assert out == [
        "['decision-notes', 'status-tracker']",
        "['decision-notes', 'status-tracker']",
        "État des demandes | Notes de décision",
        "[('decision-notes', 'ircc-account', True), ('status-tracker', 'ircc-account', True)]",
    ]
