"""
A throw-away PostgreSQL server on 127.0.0.1, for tests and benchmarks.

:class:`PostgresServer` runs ``initdb`` into a temporary directory, starts the
server with ``pg_ctl -w`` on a free port of 127.0.0.1 with the real durability
settings (``fsync``, ``synchronous_commit`` and ``full_page_writes`` on), and
removes everything on :meth:`PostgresServer.stop`.

PostgreSQL refuses to run as root. When the current process is root, the
server binaries run as the ``postgres`` user (or ``nobody`` when there is no
such user) and the temporary directory is handed over to that user; otherwise
they run as the current user, with no privilege change.

Only the standard library is imported here; creating databases needs psycopg
(the ``postgres`` extra), imported when first used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import types
import weakref
from collections.abc import Mapping, Sequence

__all__ = ["PostgresServer", "PostgresServerError"]

_SUPERUSER = "postgres"
_HOST = "127.0.0.1"
_BINARIES = ("initdb", "pg_ctl", "postgres")
_FALLBACK_DIRS = ("/usr/local/pgsql/bin",)
_DEBIAN_GLOB = "/usr/lib/postgresql/*/bin"
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_START_TIMEOUT = 60
_PORT_ATTEMPTS = 3
_LOG_TAIL_LINES = 40
_PG_HBA = (
    "# Written by ircc_account.testing: trust on the socket directory and 127.0.0.1 only.\n"
    "local all all trust\n"
    "host all all 127.0.0.1/32 trust\n"
)


class PostgresServerError(RuntimeError):
    """
    The throw-away PostgreSQL server could not be set up, started or used.
    """


@dataclasses.dataclass(frozen=True)
class _Identity:
    """
    The unprivileged user the server binaries run as when we are root.
    """

    name: str
    uid: int
    gid: int


def _unprivileged_identity() -> _Identity | None:
    """
    The user to drop to: ``postgres``, else ``nobody``; ``None`` when not root.

    Raises:
        PostgresServerError: We are root and neither user exists.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return _Identity(name=name, uid=entry.pw_uid, gid=entry.pw_gid)
    raise PostgresServerError(
        "running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL as"
    )


def _child_env() -> dict[str, str]:
    """
    The environment for the server binaries: ours, without PG* variables, in the C locale.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    return env


def _run(
    argv: Sequence[str],
    *,
    identity: _Identity | None,
    cwd: pathlib.Path,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    """
    Run one server binary, as the unprivileged identity when there is one.
    """
    if identity is None:
        return subprocess.run(  # noqa: S603 (fixed argv of PostgreSQL binaries, no shell)
            list(argv),
            cwd=cwd,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return subprocess.run(  # noqa: S603 (fixed argv of PostgreSQL binaries, no shell)
        list(argv),
        cwd=cwd,
        env=_child_env() | {"HOME": str(cwd), "USER": identity.name, "LOGNAME": identity.name},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        user=identity.uid,
        group=identity.gid,
        extra_groups=[],
    )


def _free_port() -> int:
    """
    A TCP port on 127.0.0.1 that was free a moment ago.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return int(s.getsockname()[1])


def _conf_value(value: str) -> str:
    """
    A postgresql.conf string literal.
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _tail(path: pathlib.Path, offset: int = 0) -> str:
    """
    The last lines of a log file from ``offset``, or a note that there is none.
    """
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError as exc:
        return f"(no server log: {exc})"
    lines = data.decode("utf-8", "replace").splitlines()
    return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(server log is empty)"


def _check_reachable(path: pathlib.Path, identity: _Identity) -> None:
    """
    Check that ``identity`` can traverse every ancestor of ``path``.

    Raises:
        PostgresServerError: An ancestor is closed to that user.
    """
    for parent in path.resolve().parents:
        st = parent.stat()
        if st.st_uid == identity.uid:
            ok = bool(st.st_mode & stat.S_IXUSR)
        elif st.st_gid == identity.gid:
            ok = bool(st.st_mode & stat.S_IXGRP)
        else:
            ok = bool(st.st_mode & stat.S_IXOTH)
        if not ok:
            raise PostgresServerError(
                f"{parent} is not traversable by the {identity.name!r} user that PostgreSQL "
                f"runs as (we are root); choose a base_dir under a world-traversable path "
                f"such as {tempfile.gettempdir()}"
            )


def _postmaster_pid(data_dir: pathlib.Path) -> int | None:
    """
    The postmaster's pid from ``postmaster.pid``, if the file is there and readable.
    """
    try:
        first = (data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first.strip())
    except (OSError, ValueError):
        return None


def _shutdown(
    pg_ctl: pathlib.Path,
    data_dir: pathlib.Path,
    remove: pathlib.Path,
    identity: _Identity | None,
) -> None:
    """
    Stop the server (fast, then SIGKILL if it will not go) and remove its files.

    Module-level so that the finalizer holds no reference to the server object.
    """
    if (data_dir / "postmaster.pid").exists():
        pid = _postmaster_pid(data_dir)
        try:
            result = _run(
                [str(pg_ctl), "stop", "-D", str(data_dir), "-m", "fast", "-w", "-t", "30"],
                identity=identity,
                cwd=remove if remove.is_dir() else pathlib.Path("/"),
                timeout=60,
            )
            stopped = result.returncode == 0
        except subprocess.TimeoutExpired:
            stopped = False
        if not stopped and pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.05)
    shutil.rmtree(remove, ignore_errors=True)


class PostgresServer:
    """
    A throw-away PostgreSQL cluster on 127.0.0.1 for tests and benchmarks.

    The server listens on 127.0.0.1 only, with ``trust`` authentication for the
    ``postgres`` superuser, and its unix socket inside the base directory. The
    durability settings are PostgreSQL's real defaults (``fsync``,
    ``synchronous_commit`` and ``full_page_writes`` on) unless ``settings``
    overrides them. A database ``ircc_test`` is created at start.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`; a
    finalizer also stops the server if the object is collected or the
    interpreter exits first.

    Args:
        base_dir: The directory for the cluster, its log and its socket; it is
            created if missing and its ``data`` subdirectory is removed at
            :meth:`stop`. By default a fresh temporary directory, removed whole.
            When running as root, every ancestor must be traversable by the
            unprivileged user. Keep it short: a unix socket path is limited to
            about 100 bytes.
        port: The TCP port; by default a free one is chosen.
        settings: Extra ``postgresql.conf`` settings, applied after (and so
            overriding) the defaults above.

    Raises:
        PostgresServerError: A setting name is not a valid identifier.
    """

    def __init__(
        self,
        *,
        base_dir: pathlib.Path | None = None,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        extra = dict(settings or {})
        for name in extra:
            if not _SETTING_NAME.fullmatch(name):
                raise PostgresServerError(f"not a PostgreSQL setting name: {name!r}")
        self._requested_base = base_dir
        self._requested_port = port
        self._settings = extra
        self._base: pathlib.Path | None = None
        self._port: int | None = None
        self._finalizer: weakref.finalize[..., PostgresServer] | None = None

    # --- discovery -----------------------------------------------------------------

    @staticmethod
    def find_binaries() -> pathlib.Path | None:
        """
        The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``.

        Looks on ``PATH`` first (following a symlinked ``initdb`` to its real
        directory when the others are not beside it), then in the highest
        version under ``/usr/lib/postgresql/*/bin`` (Debian and Ubuntu), then in
        ``/usr/local/pgsql/bin`` (a source build).
        """

        def complete(directory: pathlib.Path) -> bool:
            return all(os.access(directory / name, os.X_OK) for name in _BINARIES)

        found = shutil.which("initdb")
        if found is not None:
            for directory in (pathlib.Path(found).parent, pathlib.Path(found).resolve().parent):
                if complete(directory):
                    return directory

        def version(directory: pathlib.Path) -> tuple[int, ...]:
            digits = re.findall(r"\d+", directory.parent.name)
            return tuple(int(d) for d in digits)

        debian = sorted(
            (p for p in pathlib.Path("/").glob(_DEBIAN_GLOB.lstrip("/")) if complete(p)),
            key=version,
            reverse=True,
        )
        if debian:
            return debian[0]
        for fallback in _FALLBACK_DIRS:
            if complete(pathlib.Path(fallback)):
                return pathlib.Path(fallback)
        return None

    # --- life cycle ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """
        The TCP port the server listens on.

        Raises:
            PostgresServerError: The server is not running.
        """
        if self._port is None:
            raise PostgresServerError("the PostgreSQL server is not running")
        return self._port

    @property
    def data_dir(self) -> pathlib.Path:
        """
        The cluster's data directory (it holds ``postmaster.pid``).

        Raises:
            PostgresServerError: The server is not running.
        """
        if self._base is None:
            raise PostgresServerError("the PostgreSQL server is not running")
        return self._base / "data"

    @property
    def log_path(self) -> pathlib.Path:
        """
        The server log file.

        Raises:
            PostgresServerError: The server is not running.
        """
        if self._base is None:
            raise PostgresServerError("the PostgreSQL server is not running")
        return self._base / "server.log"

    def start(self) -> None:
        """
        Create the cluster, start the server, and create the ``ircc_test`` database.

        Raises:
            PostgresServerError: The binaries are missing, the server is already
                started, or ``initdb``, the start or the database creation
                failed (the message holds the tail of the server log).
        """
        if self._finalizer is not None:
            raise PostgresServerError("the PostgreSQL server is already started")
        bindir = self.find_binaries()
        if bindir is None:
            raise PostgresServerError(
                "PostgreSQL binaries (initdb, pg_ctl, postgres) not found on PATH, "
                f"in {_DEBIAN_GLOB} or in {', '.join(_FALLBACK_DIRS)}: install postgresql"
            )
        identity = _unprivileged_identity()
        base, remove = self._make_base(identity)
        data = base / "data"
        self._base = base
        self._finalizer = weakref.finalize(
            self, _shutdown, bindir / "pg_ctl", data, remove, identity
        )
        try:
            self._initdb(bindir, base, data, identity)
            self._port = self._start_server(bindir, base, data, identity)
            self.create_database("ircc_test")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """
        Stop the server (``pg_ctl stop -m fast``) and remove its data directory.

        Does nothing if the server is not running.
        """
        finalizer, self._finalizer = self._finalizer, None
        self._base = None
        self._port = None
        if finalizer is not None:
            finalizer()

    def __enter__(self) -> PostgresServer:
        """
        Start the server.

        Raises:
            PostgresServerError: As :meth:`start`.
        """
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        """
        Stop the server and remove its files.
        """
        self.stop()

    def __repr__(self) -> str:
        if self._port is None:
            return "PostgresServer(stopped)"
        return f"PostgresServer({_HOST}:{self._port}, {self._base})"

    # --- databases -----------------------------------------------------------------

    def url(self, database: str = "ircc_test", driver: str = "postgresql+psycopg") -> str:
        """
        The SQLAlchemy URL of a database on this server, as the ``postgres`` superuser.

        Args:
            database: The database name.
            driver: The SQLAlchemy dialect and driver.

        Raises:
            PostgresServerError: The server is not running.
        """
        return f"{driver}://{_SUPERUSER}@{_HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """
        Create an empty database, for per-test isolation, and return its URL.

        Args:
            name: Lower-case letters, digits and underscores, at most 63 bytes.

        Raises:
            PostgresServerError: The name is invalid, the server is not running,
                or psycopg is not installed.
        """
        self._admin(name, "CREATE DATABASE {}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """
        Drop a database, closing its remaining connections first.

        Args:
            name: The database created by :meth:`create_database`.

        Raises:
            PostgresServerError: The name is invalid, the server is not running,
                or psycopg is not installed.
        """
        self._admin(name, "DROP DATABASE IF EXISTS {} WITH (FORCE)")

    # --- internals -----------------------------------------------------------------

    def _admin(self, name: str, template: str) -> None:
        """
        Run one database-level statement on the ``postgres`` database.
        """
        if not _DATABASE_NAME.fullmatch(name):
            raise PostgresServerError(
                f"database names here are [a-z_][a-z0-9_]{{0,62}}, got {name!r}"
            )
        port = self.port
        try:
            import psycopg  # optional dependency, imported when used
            from psycopg import sql
        except ImportError as exc:
            raise PostgresServerError(
                "creating databases needs psycopg: install ircc-account[postgres]"
            ) from exc
        with psycopg.connect(
            host=_HOST, port=port, user=_SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL(template).format(sql.Identifier(name)))

    def _make_base(self, identity: _Identity | None) -> tuple[pathlib.Path, pathlib.Path]:
        """
        Create the base directory, owned by the server's user; return it and what stop removes.
        """
        if self._requested_base is None:
            base = pathlib.Path(tempfile.mkdtemp(prefix="ircc-pg-"))
            remove = base
        else:
            base = self._requested_base.absolute()
            base.mkdir(parents=True, exist_ok=True)
            remove = base / "data"
            if remove.exists():
                raise PostgresServerError(f"{remove} already exists; use an empty base_dir")
        if identity is not None:
            try:
                _check_reachable(base, identity)
                os.chown(base, identity.uid, identity.gid)
                base.chmod(0o700)
            except BaseException:
                if remove == base:
                    shutil.rmtree(base, ignore_errors=True)
                raise
        return base, remove

    def _initdb(
        self,
        bindir: pathlib.Path,
        base: pathlib.Path,
        data: pathlib.Path,
        identity: _Identity | None,
    ) -> None:
        """
        Create the cluster and write its configuration.
        """
        result = _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            identity=identity,
            cwd=base,
            timeout=120,
        )
        if result.returncode != 0:
            raise PostgresServerError(
                f"initdb failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        settings = {
            "listen_addresses": _HOST,
            "unix_socket_directories": str(base),
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "max_connections": "200",
            **self._settings,
        }
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# Written by ircc_account.testing.PostgresServer.\n")
            for key, value in settings.items():
                conf.write(f"{key} = {_conf_value(value)}\n")
        # Root writes into files the server user owns: ownership is unchanged.
        (data / "pg_hba.conf").write_text(_PG_HBA, encoding="utf-8")

    def _start_server(
        self,
        bindir: pathlib.Path,
        base: pathlib.Path,
        data: pathlib.Path,
        identity: _Identity | None,
    ) -> int:
        """
        Start the server with ``pg_ctl -w``; return its port.

        A chosen free port may be taken by someone else before the server binds
        it, so that failure is retried on another port.
        """
        log = base / "server.log"
        attempts = 1 if self._requested_port is not None else _PORT_ATTEMPTS
        while True:
            attempts -= 1
            port = self._requested_port if self._requested_port is not None else _free_port()
            offset = log.stat().st_size if log.exists() else 0
            argv = [str(bindir / "pg_ctl"), "start", "-D", str(data), "-l", str(log)]
            argv += ["-w", "-t", str(_START_TIMEOUT), "-o", f"-p {port}"]
            try:
                result = _run(argv, identity=identity, cwd=base, timeout=_START_TIMEOUT + 30)
            except subprocess.TimeoutExpired as exc:
                raise PostgresServerError(
                    f"pg_ctl start timed out; server log:\n{_tail(log, offset)}"
                ) from exc
            if result.returncode == 0:
                return port
            tail = _tail(log, offset)
            if attempts > 0 and "could not bind" in tail:
                continue
            raise PostgresServerError(
                f"PostgreSQL did not start (pg_ctl exit {result.returncode}) on "
                f"{_HOST}:{port}:\n{result.stdout}{result.stderr}\nserver log {log}:\n{tail}"
            )
