"""
``ircc-account new-plugin NAME``: a service plugin package that passes its
own tests at once.

The package has a manifest (both languages, MODERATE assurance, offered to
every eligible client), the reading hooks (items, an item's timeline), one
action ("withdraw", needing the ``act`` scope), an entry point under
``ircc_account.services`` named after the service, and tests that use the
kit's fixtures (``front_door``, ``people``, the actors) against the real
store, policy and audit log.
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import string

__all__ = ["PluginNames", "write_plugin"]

_SERVICE_ID = re.compile(r"[a-z][a-z0-9-]{1,62}", re.ASCII)


class PluginNames:
    """
    The names a new plugin goes by.

    Attributes:
        service_id: The service id, which is also the entry-point name.
        module: The Python package (``ircc_`` and the id, with underscores).
        distribution: The distribution (``ircc-`` and the id).
        title: A placeholder title for the manifest (the id, capitalised).

    Raises:
        ValueError: *service_id* is not 2 to 63 lowercase letters, digits and
            single hyphens, starting with a letter.
    """

    def __init__(self, service_id: str) -> None:
        if not _SERVICE_ID.fullmatch(service_id) or service_id.endswith("-") or "--" in service_id:
            raise ValueError(
                "a service id is 2 to 63 lowercase letters, digits and single hyphens, "
                "starting with a letter"
            )
        self.service_id = service_id
        self.module = "ircc_" + service_id.replace("-", "_")
        self.distribution = "ircc-" + service_id
        self.title = service_id.replace("-", " ").capitalize()

    def __repr__(self) -> str:
        return f"PluginNames({self.service_id!r})"


def _library_version() -> str:
    try:
        return importlib.metadata.version("ircc-account")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return "0.1.0.dev0"


def write_plugin(service_id: str, directory: pathlib.Path) -> list[pathlib.Path]:
    """
    Write a new plugin package for *service_id* into *directory* (created;
    it must not exist or be empty).

    Returns:
        The files written, relative to *directory*.

    Raises:
        ValueError: a bad service id.
        FileExistsError: *directory* exists and is not empty.
    """
    names = PluginNames(service_id)
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} exists and is not empty")
    values = {
        "service_id": names.service_id,
        "module": names.module,
        "distribution": names.distribution,
        "title": names.title,
        "library_version": _library_version(),
    }
    files = {
        pathlib.Path("pyproject.toml"): _PYPROJECT,
        pathlib.Path("README.md"): _README,
        pathlib.Path("src", names.module, "__init__.py"): _PLUGIN,
        pathlib.Path("tests", "conftest.py"): _CONFTEST,
        pathlib.Path("tests", f"test_{names.module}.py"): _TESTS,
    }
    for relative, template in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(template).substitute(values), encoding="utf-8")
    return list(files)


_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "$distribution"
version = "0.1.0"
description = "The $service_id service for the online account (an ircc_account plugin)."
requires-python = ">=3.11"
dependencies = ["ircc-account>=$library_version"]

[project.optional-dependencies]
test = ["ircc-account[testing]>=$library_version"]

# The entry-point name is the service id. The registry loads it only when an
# operator allowlists "$service_id" pinned to $distribution and its exact version.
[project.entry-points."ircc_account.services"]
$service_id = "$module"

[tool.hatch.build.targets.wheel]
packages = ["src/$module"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = ["-ra", "--strict-markers"]
"""

_README = """\
# $distribution

The `$service_id` service for the online account: an `ircc_account` plugin.

```console
python3 -m pip install -e '.[test]'
python3 -m pytest
```

The tests run against a real front door on a temporary SQLite database
(the kit's fixtures: `front_door`, `people`, `client_actor`,
`representative_actor`, `office_staff_actor`). To deploy, the operator
allowlists the entry point, pinned to this distribution and version:

```python
AllowedPlugin("$service_id", "$distribution", "0.1.0")
```

See the plugin guide and the service team's tutorial in the `ircc_account`
documentation.
"""

_PLUGIN = '''\
"""
The $service_id service: lists the client's applications in this service,
tells each one's story, and lets the client or a representative with the
``act`` scope withdraw one.

Each hook gets a ``ServiceContext``: the actor, the client acted for, and
gates (``ctx.items``, ``ctx.timeline``, ``ctx.records``) that check the
policy as this plugin acting for the user and record every access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ircc_account import AssuranceLevel, hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    ItemState,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
)

SERVICE_ID = "$service_id"
_WITHDRAWABLE = frozenset({ItemState.SUBMITTED, ItemState.IN_PROGRESS, ItemState.ACTION_REQUIRED})


@hookimpl
def ircc_service_manifest() -> ServiceManifest:
    """What this service is, who may see it, and who is offered it."""
    return ServiceManifest(
        service_id=SERVICE_ID,
        version="0.1.0",
        title=BilingualText(en="$title", fr="$title (service)"),
        description=BilingualText(
            en="Where your applications in this service stand.",
            fr="Où en sont vos demandes dans ce service.",
        ),
        assurance=AssuranceLevel.MODERATE,
        scopes=frozenset({"view_status", "act"}),
        rollout=Rollout(percentage=100),
    )


@hookimpl
def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:
    """The client's items in this service."""
    return list(ctx.items.list())


@hookimpl
def ircc_item_timeline(ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:
    """What happened to one item, oldest first."""
    return list(ctx.timeline.list(item_id))


@hookimpl
def ircc_item_actions(ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:
    """Withdraw, while the application is still open (needs the act scope)."""
    if ctx.items.get(item_id).state not in _WITHDRAWABLE:
        return []
    label = BilingualText(en="Withdraw this application", fr="Retirer cette demande")
    return [ActionOffer(action="withdraw", label=label, scope="act")]


@hookimpl
def ircc_perform_action(
    ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, Any]
) -> ActionResult:
    """Withdraw the application (only called for an action just offered)."""
    summary = BilingualText(en="Withdrawn on request", fr="Retirée sur demande")
    item = ctx.items.set_state(item_id, ItemState.WITHDRAWN, summary=summary)
    message = BilingualText(en="The application is withdrawn.", fr="La demande est retirée.")
    return ActionResult(ok=True, message=message, item=item)
'''

_CONFTEST = '''\
"""
The door under test registers this plugin under its service id; the other
fixtures (``front_door``, ``people``, ``client_actor``, ...) come from the
``ircc_account`` pytest plugin, installed with ``ircc-account[testing]``.
"""

from __future__ import annotations

import pytest

import $module


@pytest.fixture
def front_door_plugins() -> dict[str, object]:
    """This plugin, by its service id."""
    return {$module.SERVICE_ID: $module}
'''

_TESTS = '''\
"""
The $service_id service against a real front door: the store, the policy
and the audit log are the library's own; nothing is mocked.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable

import pytest

from ircc_account import Actor, AssuranceLevel, FrontDoor
from ircc_account.errors import AuthorizationError
from ircc_account.services import AllowedPlugin, ItemState
from ircc_account.testing import People

import $module

SERVICE = $module.SERVICE_ID


def test_the_manifest_is_valid_and_bilingual(front_door: FrontDoor) -> None:
    """The registry accepted the manifest: both languages, known scopes, a version."""
    manifest = front_door.services.manifest(SERVICE)
    assert manifest.title.en and manifest.title.fr and manifest.title.en != manifest.title.fr
    assert manifest.assurance is AssuranceLevel.MODERATE


def test_the_client_sees_their_items(
    front_door: FrontDoor, people: People, client_actor: Actor
) -> None:
    """The client's tile lists the items of this service in their file."""
    item = people.item(client_actor, service_id=SERVICE)
    tile = front_door.dashboard(client_actor, client_actor.actor_id).tile(SERVICE)
    assert tile.status == "ok"
    assert [i.item_id for i in tile.items] == [item.item_id]


def test_the_client_withdraws_an_application(
    front_door: FrontDoor, people: People, client_actor: Actor
) -> None:
    """Withdraw is offered on an open application and changes its state once done."""
    item = people.item(client_actor, service_id=SERVICE)
    page = front_door.item(client_actor, client_actor.actor_id, item.item_id)
    assert [offer.action for offer in page.actions] == ["withdraw"]
    outcome = front_door.perform(client_actor, client_actor.actor_id, item.item_id, "withdraw")
    assert outcome.item is not None and outcome.item.state is ItemState.WITHDRAWN
    after = front_door.item(client_actor, client_actor.actor_id, item.item_id)
    assert after.actions == ()


def test_a_representative_acts_within_their_grant(
    front_door: FrontDoor, people: People, client_actor: Actor, representative_actor: Actor
) -> None:
    """The consultant the client authorized (view_status, act) may withdraw for them."""
    item = people.item(client_actor, service_id=SERVICE)
    outcome = front_door.perform(
        representative_actor, client_actor.actor_id, item.item_id, "withdraw"
    )
    assert outcome.item is not None and outcome.item.state is ItemState.WITHDRAWN


def test_office_staff_may_look_but_not_act(
    front_door: FrontDoor, people: People, client_actor: Actor, office_staff_actor: Actor
) -> None:
    """An MP's office (view_status, enquire) sees the item, is offered nothing, and is refused."""
    item = people.item(client_actor, service_id=SERVICE)
    page = front_door.item(office_staff_actor, client_actor.actor_id, item.item_id)
    assert page.actions == ()
    with pytest.raises(AuthorizationError):
        front_door.perform(office_staff_actor, client_actor.actor_id, item.item_id, "withdraw")


def test_a_stranger_is_refused_and_the_client_sees_it(
    front_door: FrontDoor, people: People, client_actor: Actor
) -> None:
    """A representative the client never authorized is refused, and it is in the history."""
    people.item(client_actor, service_id=SERVICE)
    with pytest.raises(AuthorizationError):
        front_door.dashboard(people.representative(), client_actor.actor_id)
    history = front_door.history(client_actor, client_actor.actor_id)
    assert any(line.decision == "denied" for line in history)


@pytest.mark.parametrize("actor_assurance", [AssuranceLevel.LOW])
def test_a_low_assurance_login_is_asked_to_step_up(
    front_door: FrontDoor, people: People, client_actor: Actor, actor_assurance: AssuranceLevel
) -> None:
    """The service needs MODERATE: a LOW login gets a step-up tile and no items."""
    people.item(client_actor, service_id=SERVICE)
    tile = front_door.dashboard(client_actor, client_actor.actor_id).tile(SERVICE)
    assert tile.status == "step_up" and tile.items == ()


def test_the_entry_point_loads_when_allowlisted(make_front_door: Callable[..., FrontDoor]) -> None:
    """Installed, the package publishes its entry point; an allowlisted door loads it."""
    version = importlib.metadata.version("$distribution")
    door = make_front_door(allowed_plugins=[AllowedPlugin(SERVICE, "$distribution", version)])
    assert SERVICE in door.services.service_ids
'''
