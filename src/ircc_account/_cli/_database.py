"""
Opening the database for a command, and saying in one line why that failed.

No message quotes a password, a query string, an SQL statement or its
parameters: a URL is shown as ``dialect://user@host:port/database``, a
connection failure by the driver's reason with the password blanked, and any
later driver error by its class and SQLSTATE (PostgreSQL server messages can
quote values) or SQLite's fixed message.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from ircc_account._cli._output import CliError, escape
from ircc_account._storage._engine import create_engine, dialect_of
from ircc_account._storage._store import schema_is_current

__all__ = ["describe_error", "open_engine", "require_current_schema", "show_url"]

_SECRET_QUERY_KEYS = ("password", "sslpassword")


def show_url(url: URL) -> str:
    """
    *url* without its password or query string, escaped.
    """
    if url.get_backend_name() == "sqlite":
        return escape(f"sqlite:///{url.database or ''}")
    user = f"{url.username}@" if url.username else ""
    port = f":{url.port}" if url.port else ""
    return escape(f"{url.get_backend_name()}://{user}{url.host or ''}{port}/{url.database or ''}")


def _secrets(url: URL) -> list[str]:
    values = [str(url.password)] if url.password else []
    for key in _SECRET_QUERY_KEYS:
        value = url.query.get(key)
        values.extend([value] if isinstance(value, str) else list(value or ()))
    return [v for v in values if v]


def _sqlite_path(url: URL) -> str | None:
    database = url.database or ""
    if url.query.get("uri") in ("true", "1") and database.startswith("file:"):
        path = urllib.parse.unquote(database[len("file:") :].partition("?")[0])
        return path or None
    return database or None


def _parse(text: str) -> URL:
    try:
        url = make_url(text)
    except (sa_exc.ArgumentError, ValueError):
        # The text may hold a password: do not echo it.
        raise CliError("the database URL is not valid") from None
    dialect_of(url)  # ConfigurationError for anything but SQLite and PostgreSQL.
    return url


def open_engine(text: str, *, create: bool = False) -> sa.Engine:
    """
    An engine for the database URL *text*, after one successful connection.

    Args:
        text: ``sqlite:///path`` or ``postgresql://...``.
        create: Let SQLite create a missing file; else a missing file is refused.

    Raises:
        CliError: a malformed URL, a missing SQLite file, or no connection.
        ConfigurationError: an unsupported or in-memory database.
        UnsafeStorageSettings: the database could lose acknowledged writes.
    """
    url = _parse(text)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is not None and not create and not os.path.exists(path):
            raise CliError(
                f"no SQLite database at {escape(path)} "
                "(it is not created; db upgrade --create makes a new one)"
            )
    engine = create_engine(url, pool_size=1)
    try:
        with engine.connect():
            pass
    except sa_exc.DBAPIError as e:
        engine.dispose()
        reason = " ".join(str(e.orig if e.orig is not None else type(e).__name__).split())
        for secret in _secrets(url):
            reason = reason.replace(secret, "***")
        raise CliError(f"cannot connect to {show_url(url)}: {escape(reason[:300])}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine


def require_current_schema(engine: sa.Engine) -> None:
    """
    Raises:
        CliError: the schema is missing or behind (run ``db upgrade``).
        SchemaTooNew: the database was upgraded by a newer release.
    """
    if not schema_is_current(engine):
        raise CliError(
            f"the database schema at {show_url(engine.url)} is not up to date "
            "(or not created): run ircc-account db upgrade first"
        )


def describe_error(error: sa_exc.SQLAlchemyError) -> str:
    """
    One safe line for a driver error met after connecting.
    """
    orig = getattr(error, "orig", None)
    if isinstance(orig, sqlite3.Error):
        # SQLite's messages are fixed texts naming tables and columns, never values.
        return f"database error: {escape(' '.join(str(orig).split())[:200])}"
    state = getattr(orig, "sqlstate", None)
    kind = type(orig).__name__ if orig is not None else type(error).__name__
    return f"database error: {escape(kind)}" + (f" (SQLSTATE {escape(state)})" if state else "")
