"""
The review configuration: one TOML file naming the deployment's store,
keyring, providers and plugins. Paths are relative to the file's folder.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pathlib
import tomllib
from collections.abc import Mapping
from typing import Any

import attrs

from ircc_account._crypto import Keyring
from ircc_account.services import AllowedPlugin

__all__ = ["ProviderSettings", "ReviewConfig", "ReviewConfigError", "load_review_config"]

_TOP = frozenset({"store", "providers", "plugins", "sessions", "review"})
_STORE = frozenset({"database_url", "keyring", "scratch_database_url"})
_PLUGINS = frozenset({"allow", "block", "code", "settings", "deadline"})
_PROVIDER = frozenset(
    {"name", "issuer", "client_id", "redirect_uri", "client_auth", "algorithms", "leeway_seconds"}
)
_SESSIONS = frozenset({"idle_timeout_minutes", "absolute_timeout_hours"})
_REVIEW = frozenset({"examples"})


class ReviewConfigError(ValueError):
    """
    The review configuration cannot be used; the message says where and why
    (it never quotes a key).
    """


@attrs.frozen(kw_only=True)
class ProviderSettings:
    """
    One credential provider as the deployment configures it.

    Attributes:
        name: The provider's name in the portal.
        issuer: Its issuer URL.
        client_id: The portal's client id there.
        redirect_uri: The portal's callback.
        client_auth: ``private_key_jwt`` or ``client_secret``.
        algorithms: The ID-token algorithms the portal pins.
        leeway: The clock leeway the portal allows.
    """

    name: str
    issuer: str
    client_id: str
    redirect_uri: str
    client_auth: str = "private_key_jwt"
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    leeway: dt.timedelta = dt.timedelta(seconds=60)


@attrs.frozen(kw_only=True)
class ReviewConfig:
    """
    What the reviewer's run checks: the deployment's store and keyring, its
    providers, its plugins and its session lifetimes.

    Attributes:
        path: The configuration file.
        database_url: The deployment's store (read only: SQLite is copied
            with the backup API first; PostgreSQL is only read).
        keyring: The deployment's keyring (from the keyring file).
        scratch_database_url: Where the kit may write (state machines,
            properties): a temporary SQLite file when ``None``.
        providers: The credential providers.
        allowed_plugins: The plugin allowlist (entry points, pinned).
        blocked_plugins: Blocked plugin names.
        code_plugins: Plugins the deployment registers in code, by service id.
        plugin_settings: Each plugin's settings, by service id.
        plugin_deadline: Seconds each plugin call may take.
        idle_timeout: The session idle timeout.
        absolute_timeout: The session absolute timeout.
        examples: Hypothesis examples per property (``--examples`` overrides).
    """

    path: pathlib.Path
    database_url: str
    keyring: Keyring = attrs.field(repr=False)
    scratch_database_url: str | None = None
    providers: tuple[ProviderSettings, ...] = ()
    allowed_plugins: tuple[AllowedPlugin, ...] = ()
    blocked_plugins: tuple[str, ...] = ()
    code_plugins: Mapping[str, object] = attrs.field(factory=dict, repr=False)
    plugin_settings: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=False)
    plugin_deadline: float = 2.0
    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    absolute_timeout: dt.timedelta = dt.timedelta(hours=12)
    examples: int = 25

    @property
    def is_sqlite(self) -> bool:
        """Whether the deployment's store is SQLite."""
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> pathlib.Path:
        """The SQLite file of the store."""
        return pathlib.Path(self.database_url.split(":///", 1)[1])


def _table(data: Any, where: str, members: frozenset[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ReviewConfigError(f"{where} must be a table")
    unknown = sorted(set(data) - members)
    if unknown:
        raise ReviewConfigError(f"{where} has unknown members: {', '.join(unknown)}")
    return data


def _load_object(spec: str, where: str) -> object:
    """``module:attribute``; a class is instantiated with no arguments."""
    module, _, attribute = spec.partition(":")
    try:
        value: object = importlib.import_module(module)
        for part in filter(None, attribute.split(".")):
            value = getattr(value, part)
    except (ImportError, AttributeError) as e:
        raise ReviewConfigError(f"{where}: cannot import {spec!r} ({type(e).__name__})") from None
    return value() if isinstance(value, type) else value


def _allow(text: Any, where: str) -> AllowedPlugin:
    name, _, pin = str(text).partition("=")
    distribution, _, version = pin.partition("==")
    if not (name and distribution and version):
        raise ReviewConfigError(f"{where}: expected NAME=DISTRIBUTION==VERSION")
    return AllowedPlugin(name, distribution, version)


def _keyring(path: pathlib.Path) -> Keyring:
    from ircc_account._cli._keyfile import load_keyring
    from ircc_account._cli._output import CliError

    try:
        return load_keyring(str(path))
    except CliError as e:
        raise ReviewConfigError(e.message) from None


def _url(value: Any, base: pathlib.Path, where: str) -> str:
    if not isinstance(value, str) or "://" not in value:
        raise ReviewConfigError(f"{where} must be a database URL")
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        return f"sqlite:///{(base / value[len('sqlite:///') :]).resolve()}"
    return value


def load_review_config(path: pathlib.Path) -> ReviewConfig:
    """
    Read the review configuration at *path*.

    Raises:
        ReviewConfigError: unreadable, malformed, or naming what cannot be loaded.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ReviewConfigError(f"cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ReviewConfigError(f"{path} is not TOML: {e}") from None
    base = path.resolve().parent
    _table(data, str(path), _TOP)
    store = _table(data.get("store"), "[store]", _STORE)
    if "database_url" not in store or "keyring" not in store:
        raise ReviewConfigError("[store] needs database_url and keyring")
    plugins = _table(data.get("plugins", {}), "[plugins]", _PLUGINS)
    sessions = _table(data.get("sessions", {}), "[sessions]", _SESSIONS)
    review = _table(data.get("review", {}), "[review]", _REVIEW)
    providers = []
    for n, entry in enumerate(data.get("providers", [])):
        where = f"[[providers]] #{n + 1}"
        p = _table(entry, where, _PROVIDER)
        try:
            providers.append(
                ProviderSettings(
                    name=p["name"],
                    issuer=p["issuer"],
                    client_id=p["client_id"],
                    redirect_uri=p["redirect_uri"],
                    client_auth=p.get("client_auth", "private_key_jwt"),
                    algorithms=tuple(p.get("algorithms", ("RS256", "PS256", "ES256"))),
                    leeway=dt.timedelta(seconds=p.get("leeway_seconds", 60)),
                )
            )
        except KeyError as e:
            raise ReviewConfigError(f"{where} needs {e.args[0]}") from None
    code = _table(plugins.get("code", {}), "[plugins.code]", frozenset(plugins.get("code", {})))
    scratch = store.get("scratch_database_url")
    allowed = tuple(
        _allow(a, f"[plugins] allow #{i + 1}") for i, a in enumerate(plugins.get("allow", []))
    )
    # The keyring is read last: a configuration's other mistakes are cheaper to report.
    return ReviewConfig(
        path=path,
        database_url=_url(store["database_url"], base, "[store] database_url"),
        keyring=_keyring(base / store["keyring"]),
        scratch_database_url=None if scratch is None else _url(scratch, base, "[store] scratch"),
        providers=tuple(providers),
        allowed_plugins=allowed,
        blocked_plugins=tuple(plugins.get("block", [])),
        code_plugins={
            name: _load_object(spec, f"[plugins.code] {name}") for name, spec in code.items()
        },
        plugin_settings=dict(plugins.get("settings", {})),
        plugin_deadline=float(plugins.get("deadline", 2.0)),
        idle_timeout=dt.timedelta(minutes=sessions.get("idle_timeout_minutes", 30)),
        absolute_timeout=dt.timedelta(hours=sessions.get("absolute_timeout_hours", 12)),
        examples=int(review.get("examples", 25)),
    )
