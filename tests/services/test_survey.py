"""
The operator's plugin survey: every entry point, whether the allowlist lets it
in (the registry's own decision), and whether it starts, with the registry's reason.
"""

from __future__ import annotations

import builtins
import pathlib
import sys
import textwrap
from collections.abc import Callable, Iterator

import pytest

from ircc_account.errors import ConfigurationError
from ircc_account.services import ENTRY_POINT_GROUP, AllowedPlugin
from ircc_account.services._registry import pin_refusal
from ircc_account.services._survey import _NOTHING, PluginVerdict, survey

MANIFEST = textwrap.dedent(
    """
    from ircc_account.hookspecs import hookimpl
    from ircc_account.services import ServiceManifest

    @hookimpl
    def ircc_service_manifest():
        return ServiceManifest(
            service_id={name!r},
            version="1.0",
            title={{"en": "Found", "fr": {fr!r}}},
            description={{"en": "Discovered.", "fr": "Découvert."}},
        )
    """
)
# Importing this module records the fact: it must never happen.
ROGUE = "import builtins\nbuiltins.SURVEY_ROGUE_IMPORTED = True\n"


@pytest.fixture
def install(tmp_path: pathlib.Path) -> Iterator[Callable[..., None]]:
    """Fake an installed distribution: a module and a .dist-info with one entry point, on sys.path."""
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


def _by_name(verdicts: list[PluginVerdict]) -> dict[str, PluginVerdict]:
    """The first verdict for each name."""
    first: dict[str, PluginVerdict] = {}
    for v in verdicts:
        first.setdefault(v.name, v)
    return first


def test_every_entry_point_gets_the_registrys_verdict(install) -> None:
    """Allowed plugins are started for real; the others are reported with why, and never imported."""
    install("ircc-good", "1.0", "good", "srv_good", MANIFEST.format(name="good", fr="Trouvé"))
    install("ircc-nofr", "1.0", "nofr", "srv_nofr", MANIFEST.format(name="nofr", fr=""))
    install("ircc-broken", "1.0", "broken", "srv_broken", "raise ImportError('no')\n")
    install("ircc-hook", "1.0", "hook", "srv_hook", "from ircc_account.hookspecs import "
            "hookimpl\n@hookimpl\ndef ircc_service_manifest():\n    return 'not a manifest'\n")  # fmt: skip
    install("rogue-dist", "6.6", "rogue", "srv_rogue", ROGUE)
    install("impostor", "1.0", "pinned", "srv_impostor", ROGUE)
    install("ircc-old", "0.9", "old", "srv_old", ROGUE)
    install("ircc-blocked", "1.0", "blocked", "srv_blocked", ROGUE)
    allowed = [
        AllowedPlugin("good", "ircc_good", "1.0"),
        AllowedPlugin("nofr", "ircc-nofr", "1.0"),
        AllowedPlugin("broken", "ircc-broken", "1.0"),
        AllowedPlugin("hook", "ircc-hook", "1.0"),
        AllowedPlugin("pinned", "ircc-pinned", "1.0"),
        AllowedPlugin("old", "ircc-old", "1.0"),
        AllowedPlugin("blocked", "ircc-blocked", "1.0"),
        AllowedPlugin("absent", "ircc-absent", "2.0"),
    ]
    verdicts = survey(allowed, ["blocked"], deadline=1.0)
    found = _by_name(verdicts)
    assert found["good"] == PluginVerdict("good", "ircc-good", "1.0", True, True, None)
    assert found["nofr"].reason is not None and found["nofr"].reason.startswith(
        "manifest refused: validation."
    )
    assert found["broken"] == PluginVerdict(
        "broken", "ircc-broken", "1.0", True, False, "import failed (ImportError)"
    )
    assert found["hook"].reason == "manifest refused: not a ServiceManifest"
    assert found["rogue"] == PluginVerdict(
        "rogue", "rogue-dist", "6.6", False, False, "not allowlisted"
    )
    assert found["pinned"] == PluginVerdict(
        "pinned", "impostor", "1.0", False, False, "pinned to distribution ircc-pinned"
    )
    # The pinned distributions themselves are missing: reported too, after what was found.
    assert verdicts[-3:] == [
        PluginVerdict("pinned", "ircc-pinned", "1.0", True, False, "not installed"),
        PluginVerdict("old", "ircc-old", "1.0", True, False, "not installed"),
        PluginVerdict("absent", "ircc-absent", "2.0", True, False, "not installed"),
    ]
    assert found["old"].reason == "pinned to version 1.0"
    assert found["blocked"].reason == "blocked"
    assert not getattr(builtins, "SURVEY_ROGUE_IMPORTED", False)


def test_the_survey_and_discovery_agree(install, make_registry) -> None:
    """The plugins the survey says start are exactly those discover() registers."""
    install("ircc-one", "1.0", "one", "srv_one", MANIFEST.format(name="one", fr="Un"))
    install("ircc-two", "2.0", "two", "srv_two", MANIFEST.format(name="two", fr="Deux"))
    install("ircc-three", "3.0", "three", "srv_three", MANIFEST.format(name="three", fr="Trois"))
    allowed = [
        AllowedPlugin("one", "ircc-one", "1.0"),
        AllowedPlugin("two", "ircc-two", "9.9"),
        AllowedPlugin("three", "ircc-three", "3.0"),
    ]
    starts = {v.name for v in survey(allowed, ["three"]) if v.starts}
    registry = make_registry(start=False, allowed=allowed, blocked=["three"])
    assert starts == set(registry.discover()) == {"one"}


@pytest.mark.parametrize(
    ("pin", "distribution", "version", "blocked", "refusal"),
    [
        (AllowedPlugin("p", "ircc-p", "1.0"), "IRCC_P", "1.0", False, None),
        (AllowedPlugin("p", "ircc-p", "1.0"), "ircc.p", "1.0", True, "blocked"),
        (None, "ircc-p", "1.0", False, "not_allowed"),
        (AllowedPlugin("p", "ircc-p", "1.0"), "ircc-q", "1.0", False, "other_distribution"),
        (AllowedPlugin("p", "ircc-p", "1.0"), "ircc-p", "1.0.1", False, "other_version"),
    ],
)
def test_pin_refusal(
    pin: AllowedPlugin | None, distribution: str, version: str, blocked: bool, refusal: str | None
) -> None:
    """Names compare canonically, versions exactly, and a block outranks the allowlist; an entry admits exactly what it does not refuse."""
    assert pin_refusal(pin, distribution, version, blocked=blocked) == refusal
    if pin is not None and not blocked:
        assert pin.admits(distribution, version) is (refusal is None)


def test_the_survey_registry_has_nothing_to_call() -> None:
    """The stand-in store, policy and audit sink refuse every use."""
    with pytest.raises(ConfigurationError):
        _NOTHING.unit_of_work()
    with pytest.raises(ConfigurationError):
        _NOTHING.authorize(None, "read", None, uow=None)
    with pytest.raises(ConfigurationError):
        _NOTHING.append(None, None)
    with pytest.raises(ConfigurationError):
        _NOTHING.engine  # noqa: B018 - the property access is the test


def test_the_survey_runs_no_plugin_start_up(install) -> None:
    """A plugin whose ircc_startup needs the host's settings is judged on its hooks and manifest; its start-up and shutdown never run."""
    source = MANIFEST.format(name="needy", fr="Exigeant") + textwrap.dedent(
        """
        import builtins

        @hookimpl
        def ircc_startup(settings):
            builtins.SURVEY_STARTUP_RAN = True
            raise KeyError("base_url")

        @hookimpl
        def ircc_shutdown():
            builtins.SURVEY_SHUTDOWN_RAN = True
        """
    )
    install("ircc-needy", "1.0", "needy", "srv_needy", source)
    verdicts = survey([AllowedPlugin("needy", "ircc-needy", "1.0")], deadline=1.0)
    assert _by_name(verdicts)["needy"] == PluginVerdict(
        "needy", "ircc-needy", "1.0", True, True, None
    )
    assert not hasattr(builtins, "SURVEY_STARTUP_RAN")
    assert not hasattr(builtins, "SURVEY_SHUTDOWN_RAN")
