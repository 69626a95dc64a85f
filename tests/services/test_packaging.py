"""
The minimal example plugin installs with pip into a fresh virtual environment
and shows up in the registry through its entry point.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import sysconfig
import textwrap

import pytest

from .conftest import EXAMPLES

CHECK = textwrap.dedent(
    """
    import pathlib, tempfile
    from ircc_account import Keyring, SystemClock
    from ircc_account.storage import open_store
    from ircc_account.audit import AuditLog
    from ircc_account.delegation import Policy
    from ircc_account.services import AllowedPlugin, ServiceRegistry

    db = pathlib.Path(tempfile.mkdtemp()) / "a.db"
    store = open_store(f"sqlite:///{db}", keyring=Keyring.generate())
    registry = ServiceRegistry(
        store=store, policy=Policy(clock=SystemClock(), audit=AuditLog(store)),
        allowed=[AllowedPlugin("minimal-example", "ircc-example-minimal", "0.1.0")],
    )
    print(registry.discover())
    registry.start()
    print(registry.manifest("minimal-example").title.fr)
    registry.close()
    """
)


@pytest.mark.slow
def test_minimal_plugin_installs_and_is_discovered(tmp_path: pathlib.Path) -> None:
    """pip install of examples/minimal_plugin in a fresh venv; the registry discovers it."""
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", env], check=True)
    python = env / "bin" / "python"
    # Reuse this environment's installed dependencies (and ircc_account itself)
    # without installing anything from an index into the fresh venv.
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # An "import" line in a .pth runs at start-up; addsitedir also reads the
    # parent's own .pth files (the editable install of ircc_account).
    parent = sysconfig.get_paths()["purelib"]
    pathlib.Path(purelib, "_ircc_parent.pth").write_text(
        f"import site; site.addsitedir({parent!r})\n"
    )
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", EXAMPLES / "minimal_plugin"],
        check=True,
        timeout=120,
    )
    out = subprocess.run(
        [python, "-c", CHECK], check=True, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    assert out == ["['minimal-example']", "Exemple minimal"]
