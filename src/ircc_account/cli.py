"""
The ``ircc-account`` command line, for operators (``docs/operations.md``).

``ircc-account audit verify (--database URL | --export FILE) [--keys FILE] [--quiet]``
    Verify the audit log, or one client's export, offline.
``ircc-account db upgrade --database URL [--create] [--quiet]``
    Apply the schema migrations; safe to run from several processes at once.
``ircc-account keys rotate --database URL --keyring FILE [--batch-size N] [--dry-run] [--quiet]``
    Re-wrap every data key not under the keyring's primary KEK; resumable.
``ircc-account plugins list [--allow NAME=DISTRIBUTION==VERSION ...] [--block NAME ...]``
    Every installed service plugin: allowed or not, starts or not, and why.
``ircc-account demo [--data DIR] [--host HOST] [--port PORT] [--allow NAME=DIST==VERSION ...]``
    The demo portal with the development provider and made-up people, on
    loopback, until Ctrl-C (needs the ``web`` extra).
``ircc-account new-plugin NAME [--directory DIR]``
    Write a new service plugin package (manifest, hooks, entry point, tests
    on the kit's fixtures) that passes its own tests at once.
``ircc-account review --config FILE [--examples N] [-k EXPRESSION] [PATH ...]``
    The security reviewer's run: the kit's checks (and your tests in PATH)
    against a deployment's configuration, summarised per requirement
    group (needs the ``testing`` extra).

Exit status: 0 success, 1 the command found a failure (a log that does not
verify, a plugin that does not start, data keys left), 2 a usage,
configuration or database error (one line on stderr, no traceback), 130
interrupted. Text from the database or from plugin metadata is printed with
control characters escaped (SEC-69).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import traceback
from collections.abc import Sequence

__all__ = ["main"]


def _allow(text: str) -> object:
    from ircc_account.services import AllowedPlugin

    name, _, pin = text.partition("=")
    distribution, _, version = pin.partition("==")
    if not (name and distribution and version):
        raise argparse.ArgumentTypeError("expected NAME=DISTRIBUTION==VERSION")
    return AllowedPlugin(name, distribution, version)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    from ircc_account._cli import _commands as run

    parser = argparse.ArgumentParser(prog="ircc-account")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    database = "database URL (sqlite:///path or postgresql://user@host/db)"
    quiet = "no progress lines"

    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    audit_commands = audit.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    verify = audit_commands.add_parser("verify", help="verify every chain and checkpoint")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--database", help=database)
    source.add_argument("--export", help="verify this client export (JSON) instead, offline")
    verify.add_argument(
        "--keys",
        help='JSON file of published checkpoint keys: {"key id": "hex public key"}; '
        "for an export, defaults to the keys it carries (reported as untrusted)",
    )
    verify.add_argument("--quiet", action="store_true", help=quiet)
    verify.set_defaults(run=run.audit_verify)

    db = commands.add_parser("db", help="the database schema")
    db_commands = db.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply the schema migrations")
    upgrade.add_argument("--database", required=True, help=database)
    upgrade.add_argument(
        "--create", action="store_true", help="create the SQLite file if it does not exist"
    )
    upgrade.add_argument(
        "--keyring",
        help="keyring file: also seal what older releases kept in clear (items' titles and "
        "references, timeline summaries) and re-index emails, resumably",
    )
    upgrade.add_argument("--quiet", action="store_true", help=quiet)
    upgrade.set_defaults(run=run.db_upgrade)

    keys = commands.add_parser("keys", help="key-encryption keys")
    keys_commands = keys.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    rotate = keys_commands.add_parser(
        "rotate", help="re-wrap every data key under the keyring's primary KEK"
    )
    rotate.add_argument("--database", required=True, help=database)
    rotate.add_argument(
        "--keyring", required=True, help="keyring file (JSON, from the secret store; mode 600)"
    )
    rotate.add_argument(
        "--batch-size", type=_positive, default=500, help="keys per transaction (500)"
    )
    rotate.add_argument(
        "--dry-run", action="store_true", help="only say how many keys would be re-wrapped"
    )
    rotate.add_argument("--quiet", action="store_true", help=quiet)
    rotate.set_defaults(run=run.keys_rotate)

    plugins = commands.add_parser("plugins", help="service plugins")
    plugins_commands = plugins.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    listing = plugins_commands.add_parser(
        "list", help="every installed service plugin, and whether it starts"
    )
    listing.add_argument(
        "--allow", action="append", type=_allow, default=[], metavar="NAME=DISTRIBUTION==VERSION",
        help="allowlist entry, as given to the registry (repeatable)",
    )  # fmt: skip
    listing.add_argument(
        "--block", action="append", default=[], metavar="NAME", help="blocked name (repeatable)"
    )
    listing.set_defaults(run=run.plugins_list)

    demo = commands.add_parser("demo", help="the demo portal, on this machine, until Ctrl-C")
    demo.add_argument(
        "--data",
        metavar="DIR",
        help="keep the database and keys in DIR (reused on the next run); "
        "a temporary folder, removed at the end, by default",
    )
    demo.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on and browse to (127.0.0.1)"
    )
    demo.add_argument("--port", type=_positive, default=8443, help="the portal's port (8443)")
    demo.add_argument(
        "--allow", action="append", type=_allow, default=[], metavar="NAME=DISTRIBUTION==VERSION",
        help="also allow this service plugin's entry point (repeatable)",
    )  # fmt: skip
    demo.set_defaults(run=_demo, subcommand=None)

    new_plugin = commands.add_parser(
        "new-plugin", help="write a new service plugin package that passes its own tests"
    )
    new_plugin.add_argument(
        "name", metavar="NAME", help="the service id (lowercase letters, digits, hyphens)"
    )
    new_plugin.add_argument(
        "--directory", metavar="DIR", help="where to write it (./NAME by default; must be empty)"
    )
    new_plugin.set_defaults(run=_new_plugin, subcommand=None)

    review = commands.add_parser(
        "review", help="run the security reviewer's checks against a configuration"
    )
    review.add_argument(
        "--config", required=True, metavar="FILE", help="the review configuration (TOML)"
    )
    review.add_argument(
        "--examples", type=_positive, default=None, metavar="N",
        help="hypothesis examples per property and state machine "
        "(the configuration's [review] examples, else 25)",
    )  # fmt: skip
    review.add_argument(
        "-k", dest="keyword", metavar="EXPRESSION",
        help="run only the checks whose names match (pytest's -k)",
    )  # fmt: skip
    review.add_argument(
        "paths", nargs="*", metavar="PATH", help="your own test files or folders to run too"
    )
    review.set_defaults(run=_review, subcommand=None)
    return parser


def _new_plugin(args: argparse.Namespace) -> int:
    from ircc_account._cli._output import CliError, escape
    from ircc_account.testing import PluginNames, write_plugin

    try:
        names = PluginNames(args.name)
    except ValueError as e:
        raise CliError(str(e)) from None
    folder = pathlib.Path(args.directory or args.name)
    try:
        written = write_plugin(args.name, folder)
    except (FileExistsError, OSError) as e:
        raise CliError(escape(e)) from None
    for path in written:
        print(escape(folder / path))
    print(
        f"\nNext: cd {escape(folder)} && python3 -m pip install -e '.[test]' && python3 -m pytest\n"
        f"Allowlist it as AllowedPlugin({names.service_id!r}, {names.distribution!r}, '0.1.0')."
    )
    return 0


def _review(args: argparse.Namespace) -> int:
    from ircc_account._cli._output import CliError

    try:
        from ircc_account.testing.review import run_review
    except ImportError:
        raise CliError(
            "the review needs the testing extra: python3 -m pip install 'ircc-account[testing]'"
        ) from None
    return run_review(
        pathlib.Path(args.config),
        examples=args.examples,
        extra_paths=tuple(args.paths),
        pytest_args=("-k", args.keyword) if args.keyword else (),
    )


def _demo(args: argparse.Namespace) -> int:
    from ircc_account._cli._output import CliError

    try:
        from ircc_account.demo import DemoConfig, run_demo
    except ImportError:
        raise CliError(
            "the demo needs the web extra: python3 -m pip install 'ircc-account[web]'"
        ) from None
    return run_demo(
        DemoConfig(
            data=None if args.data is None else pathlib.Path(args.data),
            host=args.host,
            port=args.port,
            allowed_plugins=tuple(args.allow),
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line with *argv* (``sys.argv[1:]`` by default); returns the exit status.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        # Usage errors (status 2) and --help (0): argparse has printed why.
        return e.code if isinstance(e.code, int) else 2
    name = " ".join(n for n in ("ircc-account", args.command, args.subcommand) if n)
    status, message = _run(args)
    if message is not None:
        print(f"{name}: {message}", file=sys.stderr)
    return status


def _run(args: argparse.Namespace) -> tuple[int, str | None]:
    """
    Run the command; its status, and the one line to print when it failed.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ircc_account._cli._database import describe_error
    from ircc_account._cli._output import CliError, escape
    from ircc_account.errors import IrccAccountError

    try:
        status: int = args.run(args)
    except CliError as e:
        return e.status, e.message
    except IrccAccountError as e:
        # Fixed, bilingual templates with safe parameters only.
        cause = e.__cause__
        detail = f" ({describe_error(cause)})" if isinstance(cause, SQLAlchemyError) else ""
        return 2, escape(e) + detail
    except SQLAlchemyError as e:
        return 2, describe_error(e)
    except KeyboardInterrupt:
        return 130, "interrupted"
    except Exception as e:
        # Never a traceback: it could quote SQL parameters or file contents.
        # Where it happened is safe to say, and enough to start looking.
        frame = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{pathlib.Path(frame.filename).name}:{frame.lineno}"
        return 2, f"unexpected error ({escape(type(e).__name__)} at {escape(where)})"
    return status, None


if __name__ == "__main__":
    sys.exit(main())
