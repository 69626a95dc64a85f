"""
Discovery through entry points: only allowlisted names from pinned
distributions are loaded (SEC-92), blocked names never are.
"""

from __future__ import annotations

import pathlib
import sys
import textwrap
from collections.abc import Callable, Iterator

import pytest

from ircc_account.errors import ServiceNotAllowed
from ircc_account.services import ENTRY_POINT_GROUP, AllowedPlugin

PLUGIN = textwrap.dedent(
    """
    from ircc_account.hookspecs import hookimpl
    from ircc_account.services import ServiceManifest

    @hookimpl
    def ircc_service_manifest():
        return ServiceManifest(
            service_id={name!r},
            version="1.0",
            title={{"en": "Found", "fr": "Trouvé"}},
            description={{"en": "Discovered.", "fr": "Découvert."}},
        )
    """
)
# A module that must never be imported: importing it records the fact.
ROGUE = "import builtins\nbuiltins.ROGUE_IMPORTED = True\n"


@pytest.fixture
def install(tmp_path: pathlib.Path) -> Iterator[Callable[..., None]]:
    """Fake an installed distribution: a module and a .dist-info with entry points, on sys.path."""
    sys.path.insert(0, str(tmp_path))
    modules: list[str] = []

    def make(dist: str, version: str, name: str, module: str, source: str) -> None:
        (tmp_path / f"{module}.py").write_text(source)
        info = tmp_path / f"{dist}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {module}\n")
        modules.append(module)

    yield make
    sys.path.remove(str(tmp_path))
    for module in modules:
        sys.modules.pop(module, None)


def test_only_allowlisted_pinned_plugins_load(install, make_registry) -> None:
    """An allowlisted, pinned plugin loads; unlisted, wrongly pinned and blocked ones are never imported."""
    import builtins

    install("ircc-found", "1.0", "found", "ircc_found_mod", PLUGIN.format(name="found"))
    install("rogue-dist", "6.6", "rogue", "ircc_rogue_mod", ROGUE)
    install("impostor", "1.0", "pinned", "ircc_impostor_mod", ROGUE)
    install("ircc-old", "0.9", "old", "ircc_old_mod", ROGUE)
    install("ircc-blocked", "1.0", "blocked", "ircc_blocked_mod", ROGUE)
    registry = make_registry(
        start=False,
        allowed=[
            AllowedPlugin("found", "ircc_found", "1.0"),
            AllowedPlugin("pinned", "ircc-pinned", "1.0"),
            AllowedPlugin("old", "ircc-old", "1.0"),
            AllowedPlugin("blocked", "ircc-blocked", "1.0"),
        ],
        blocked=["blocked"],
    )
    assert registry.discover() == ["found"]
    registry.start()
    assert registry.service_ids == ("found",)
    assert not getattr(builtins, "ROGUE_IMPORTED", False)
    assert registry.manifest("found").title.fr == "Trouvé"


def test_blocked_names_cannot_be_registered_explicitly(make_registry) -> None:
    """set_blocked holds for explicit registration too."""
    registry = make_registry(start=False, blocked=["denied"])
    with pytest.raises(ServiceNotAllowed):
        registry.register(object(), name="denied")
