"""
The built-in status tracker, decision notes, visitor visa and passport
renewal services install through their entry points: the package,
pip-installed into a fresh virtual environment, publishes them under
``ircc_account.services``, and the registry discovers and starts them from
the allowlist alone (the application services with a document folder in
their settings); the demo portal allowlists all four.
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
    mine = {"status-tracker", "decision-notes", "trv", "passport-renewal"}
    print(sorted(e.name for e in dist.entry_points if e.group == "ircc_account.services" and e.name in mine))
    folder = pathlib.Path(tempfile.mkdtemp())
    store = open_store(f"sqlite:///{folder / 'a.db'}", keyring=Keyring.generate())
    documents = {"documents_folder": str(folder / "documents")}
    registry = ServiceRegistry(
        store=store, policy=Policy(clock=SystemClock(), audit=AuditLog(store)),
        allowed=[AllowedPlugin(name, "ircc-account", version) for name in sorted(mine)],
        settings={"trv": documents, "passport-renewal": documents},
    )
    print(sorted(registry.discover()))
    registry.start()
    print(" | ".join(registry.manifest(name).title.fr for name in sorted(mine)))
    from ircc_account.builtin import passport as passport_pkg, trv as trv_pkg
    for service in (trv_pkg.plugin, passport_pkg.plugin):  # started with their document store
        print(service.service_id, service.program, type(service.documents.store).__name__)
    registry.close()
    store.close()
    from ircc_account.demo import builtin_services
    print(sorted((a.name, a.distribution, a.version == version) for a in builtin_services() if a.name in mine))
    """
)


@pytest.mark.slow
def test_the_builtin_services_install_through_their_entry_points(tmp_path: pathlib.Path) -> None:
    """pip install of the package in a fresh venv; its entry points name the tracker, notes, visitor visa and passport renewal, the registry discovers and starts them, and the demo allowlists them."""
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
        "['decision-notes', 'passport-renewal', 'status-tracker', 'trv']",
        "['decision-notes', 'passport-renewal', 'status-tracker', 'trv']",
        "Notes de décision | Renouvellement de passeport | État des demandes | Visa de visiteur",
        "trv visitor-visa FolderDocumentStore",
        "passport-renewal passport-renewal FolderDocumentStore",
        "[('decision-notes', 'ircc-account', True), ('passport-renewal', 'ircc-account', True),"
        " ('status-tracker', 'ircc-account', True), ('trv', 'ircc-account', True)]",
    ]
