"""
The reviewer's run: the kit's checks against a deployment's configuration,
with a summary per requirement group (SEC-01..97).

``ircc-account review --config review.toml [--examples N] [PATH ...]``
(or ``python -m ircc_account.testing.review --config review.toml``) runs
the checks shipped in ``ircc_account/testing/review/checks`` and the
reviewer's own tests in *PATH*, with pytest, then prints each group's
outcome and each requirement's checks. The exit status is 0 when every
check passed or was skipped, 1 when one failed, 2 for a bad configuration.

The configuration (TOML; paths relative to the file)::

    [store]
    database_url = "sqlite:///data/account.db"   # read only (SQLite: a backup copy)
    keyring = "data/keyring.json"                # the keyring file (ircc-keyring/1)
    # scratch_database_url = "postgresql+psycopg://..."  # where checks may write

    [plugins]
    allow = ["trv=ircc-trv==1.4.2"]              # the allowlist, pinned
    block = []
    deadline = 2.0
    [plugins.code]                               # plugins registered in code
    demo-status = "ircc_account.demo:DemoStatus"
    [plugins.settings.trv]
    base_url = "https://legacy.example"

    [[providers]]
    name = "gckey"
    issuer = "https://gckey.example"
    client_id = "portal"
    redirect_uri = "https://portal.example/login/callback"
    client_auth = "private_key_jwt"              # or "client_secret"

    [sessions]
    idle_timeout_minutes = 30
    absolute_timeout_hours = 12

Nothing the run does writes to the deployment's store: its checks read a
copy (SQLite, taken with the backup API) or the store itself (PostgreSQL),
and everything that writes (the state machines, the properties, the
plugins' checks) runs on a scratch database with the deployment's plugins.

A reviewer extends the kit with test files of their own: tests marked
``@pytest.mark.sec("SEC-NN", ...)`` that use the fixtures
``review_config``, ``deployment_store``, ``open_scratch_door``,
``scratch_door`` and the kit's (``people``, ``dev_provider``, ...).
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
from collections.abc import Sequence

from ircc_account._exports import present_as_public

from ._config import ProviderSettings, ReviewConfig, ReviewConfigError, load_review_config
from ._plugin import GROUPS, Group

__all__ = [
    "CHECKS",
    "GROUPS",
    "Group",
    "ProviderSettings",
    "ReviewConfig",
    "ReviewConfigError",
    "load_review_config",
    "run_review",
]

#: The folder of the kit's checks (``test_*.py``, one module per subject).
CHECKS = pathlib.Path(__file__).resolve().parent / "checks"


def run_review(
    config: pathlib.Path,
    *,
    examples: int | None = None,
    extra_paths: Sequence[str] = (),
    pytest_args: Sequence[str] = (),
) -> int:
    """
    Run the checks (and *extra_paths*) against the configuration at *config*.

    Args:
        config: The review configuration file.
        examples: Hypothesis examples per property (the file's, else 25).
        extra_paths: The reviewer's own test files or folders.
        pytest_args: More pytest arguments (``-k``, ``-x``, ``-v``).

    Returns:
        0 when nothing failed, 1 when a check failed, 2 when the run could
        not start (a bad configuration, a path that does not exist).
    """
    import pytest

    try:
        load_review_config(config)
    except ReviewConfigError as e:
        print(f"ircc-account review: {e}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ircc-review-") as folder:
        # The review runs under its own settings, not those of the folder it
        # is started in (a project's pytest.ini could add options).
        ini = pathlib.Path(folder) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        args = [
            "-c",
            str(ini),
            "--rootdir",
            folder,
            "-p",
            "no:cacheprovider",
            "-p",
            "ircc_account.testing.review._plugin",
            "--ircc-review-config",
            str(config.resolve()),
            "-q",
            "-rN",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            *(["--ircc-review-examples", str(examples)] if examples else []),
            *pytest_args,
            str(CHECKS),
            *(str(pathlib.Path(p).resolve()) for p in extra_paths),
        ]
        status = pytest.main(args)
    return {0: 0, 1: 1, 5: 0}.get(int(status), 2)


present_as_public(globals(), __name__)
