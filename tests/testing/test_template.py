"""
``ircc-account new-plugin NAME``: the package it writes passes its own tests
at once, installed in a fresh virtual environment beside this repository's
package.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import sysconfig

import pytest

from ircc_account.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_new_plugin_writes_a_package(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command writes the manifest module, entry point, tests and README, and says what to run next."""
    folder = tmp_path / "trv-status"
    assert main(["new-plugin", "trv-status", "--directory", str(folder)]) == 0
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/ircc_trv_status/__init__.py",
        "tests/conftest.py",
        "tests/test_ircc_trv_status.py",
    ]
    pyproject = (folder / "pyproject.toml").read_text()
    assert (
        '[project.entry-points."ircc_account.services"]\ntrv-status = "ircc_trv_status"'
        in pyproject
    )
    assert "pip install -e '.[test]'" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name", ["Trv", "trv_status", "-trv", "trv-", "t", "trv--x", "trv\nx", "1trv"]
)
def test_new_plugin_refuses_a_bad_service_id(
    name: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name the registry would refuse as a service id is a usage error (2) and writes nothing."""
    assert main(["new-plugin", "--directory", str(tmp_path / "out"), "--", name]) == 2
    assert not (tmp_path / "out").exists()
    assert "service id" in capsys.readouterr().err


def test_new_plugin_never_writes_into_a_folder_in_use(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that holds anything is left alone (2), its files unchanged."""
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["new-plugin", "trv", "--directory", str(tmp_path)]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert "not empty" in capsys.readouterr().err


@pytest.mark.slow
def test_the_generated_plugin_passes_its_own_tests_in_a_fresh_venv(tmp_path: pathlib.Path) -> None:
    """Generated, installed with this repository's package into a fresh venv, the plugin's tests all pass."""
    folder = tmp_path / "visa-status"
    assert main(["new-plugin", "visa-status", "--directory", str(folder)]) == 0
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", env_dir], check=True, timeout=120)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies come from this environment (nothing from an index but
    # the build backend); this repository's package and the plugin are
    # installed into the fresh venv, which comes first on its path.
    parent = sysconfig.get_paths()["purelib"]
    pathlib.Path(purelib, "_ircc_parent.pth").write_text(
        f"import site; site.addsitedir({parent!r})\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for package in (ROOT, folder):
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--no-deps", package],
            check=True, timeout=300, env=env,
        )  # fmt: skip
    where = subprocess.run(
        [python, "-c", "import ircc_account; print(ircc_account.__file__)"],
        check=True, capture_output=True, text=True, env=env, cwd=folder,
    ).stdout  # fmt: skip
    assert where.startswith(purelib), where
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=600, env=env, cwd=folder, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "8 passed" in result.stdout, result.stdout
