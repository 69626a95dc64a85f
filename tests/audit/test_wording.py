"""
Every action the library records, and every reason it records for a refusal,
has words in English and French; the actions are found in the code itself.
"""

from __future__ import annotations

import ast
import itertools
import pathlib
import re
from collections.abc import Iterator

import pytest

import ircc_account
from ircc_account import errors
from ircc_account.audit import _wording
from ircc_account.authz import Action
from ircc_account.delegation import DENIAL_REASONS

SRC = pathlib.Path(ircc_account.__file__).parent
#: Where an action is named: a call's keyword, a private helper's parameter.
SINKS = frozenset({"action", "record_as"})
#: Modules that name no audit action: argparse's ``action=``, the history's own reading.
SKIP = frozenset({"cli.py", "audit/_wording.py", "audit/_view.py"})
#: Calls whose ``action=`` is not an audit action: a service's own offer
#: ("withdraw"), recorded as ``door.item.perform`` or ``door.service.perform``.
NOT_RECORDED = frozenset({"ActionOffer"})


class _Module:
    """One source file: its functions by name, and where each is called."""

    def __init__(self, path: pathlib.Path, root: pathlib.Path) -> None:
        self.path = path
        self.root = root
        self.tree = ast.parse(path.read_text(), str(path))
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, []).append(node)

    def enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def calls_to(self, name: str) -> Iterator[ast.Call]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _callee(node) == name:
                yield node

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(self.root)}:{getattr(node, 'lineno', '?')}"


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _params(fn: ast.FunctionDef) -> list[str]:
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _argument(call: ast.Call, fn: ast.FunctionDef, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    params = _params(fn)
    if name in params and params.index(name) < len(call.args):
        return call.args[params.index(name)]
    return None


class _Resolver:
    """
    The string values an expression can take, following parameters to the
    call sites of their function in the same module. What it cannot follow
    is reported, so a new way of naming an action cannot slip past.
    """

    def __init__(self, module: _Module) -> None:
        self.m = module
        self.unresolved: list[str] = []

    def values(self, expr: ast.expr, fn: ast.FunctionDef | None, depth: int = 0) -> set[str]:
        if depth > 6:
            self.unresolved.append(self.m.where(expr))
            return set()
        if isinstance(expr, ast.Constant):
            return {expr.value} if isinstance(expr.value, str) else set()
        if isinstance(expr, ast.JoinedStr):
            parts: list[set[str]] = []
            for part in expr.values:
                if isinstance(part, ast.Constant):
                    parts.append({str(part.value)})
                else:
                    assert isinstance(part, ast.FormattedValue)
                    parts.append(self.values(part.value, fn, depth + 1))
            return {"".join(p) for p in itertools.product(*parts)}
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body, fn, depth + 1) | self.values(expr.orelse, fn, depth + 1)
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in ("removeprefix", "removesuffix")
            and len(expr.args) == 1
            and isinstance(expr.args[0], ast.Constant)
        ):
            affix = str(expr.args[0].value)
            method = getattr(str, expr.func.attr)
            return {method(s, affix) for s in self.values(expr.func.value, fn, depth + 1)}
        if isinstance(expr, ast.Name) and fn is not None and expr.id in _params(fn):
            found: set[str] = set()
            for call in self.m.calls_to(fn.name):
                arg = _argument(call, fn, expr.id)
                if arg is not None:
                    found |= self.values(arg, self.m.enclosing(call), depth + 1)
            default = _default(fn, expr.id)
            if default is not None:
                found |= self.values(default, fn, depth + 1)
            return found
        self.unresolved.append(self.m.where(expr))
        return set()


def _default(fn: ast.FunctionDef, name: str) -> ast.expr | None:
    positional = fn.args.posonlyargs + fn.args.args
    for arg, default in zip(positional[len(positional) - len(fn.args.defaults) :],
                            fn.args.defaults, strict=True):  # fmt: skip
        if arg.arg == name:
            return default
    for arg, kw_default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        if arg.arg == name and kw_default is not None:
            return kw_default
    return None


def _is_policy_action(expr: ast.expr) -> bool:
    """``Action.VIEW_STATUS``: the policy's own action (recorded as ``authz.<value>``)."""
    return (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and (expr.value.id == "Action")
    )


def _forwards(fn: ast.FunctionDef | None, expr: ast.expr) -> bool:
    """A helper passing its own ``action``/``record_as`` on: its callers name the action."""
    if fn is None:
        return False
    params = set(_params(fn)) | {a.arg for a in fn.args.kwonlyargs}
    if isinstance(expr, ast.Name) and expr.id in params & SINKS:
        return True
    # The policy's entry builder turns its record_as parameter into a local.
    return "record_as" in params and isinstance(expr, ast.Name)


def recorded_actions(root: pathlib.Path = SRC) -> tuple[set[str], list[str]]:
    """Every action name the library can record, and the places it could not follow."""
    actions = {f"authz.{a.value}" for a in Action}
    unresolved: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.as_posix() in SKIP or relative.parts[0] in ("testing", "devidp"):
            continue
        module = _Module(path, root)
        resolver = _Resolver(module)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef):
                for name in SINKS:
                    default = _default(node, name)
                    if default is not None and not (
                        isinstance(default, ast.Constant) and default.value is None
                    ):
                        actions |= resolver.values(default, node)
            if not isinstance(node, ast.Call):
                continue
            fn = module.enclosing(node)
            if _callee(node) in NOT_RECORDED:
                continue
            exprs = [kw.value for kw in node.keywords if kw.arg in SINKS]
            # A private helper of the same module taking the action positionally.
            callee = _callee(node)
            if callee is not None and callee.startswith("_"):
                for target in module.functions.get(callee, ()):
                    params = _params(target)
                    exprs += [node.args[params.index(s)] for s in SINKS
                              if s in params and params.index(s) < len(node.args)]  # fmt: skip
            for expr in exprs:
                if _is_policy_action(expr) or _forwards(fn, expr):
                    continue
                if isinstance(expr, ast.Constant) and expr.value is None:
                    continue
                actions |= resolver.values(expr, fn)
        unresolved += resolver.unresolved
    return actions, unresolved


def test_the_action_finder_finds_what_the_library_records() -> None:
    """The finder follows every way the code names an action, and finds the ones the brief lists."""
    actions, unresolved = recorded_actions()
    assert unresolved == []
    listed = {
        "door.dashboard", "door.item.view", "door.item.perform", "door.clients.list",
        "door.grants.view", "door.grant.create", "door.grant.request", "door.grant.accept",
        "door.grant.decline", "door.grant.revoke", "door.grant.change", "door.history.view",
        "door.history.export", "service.item.list", "service.item.read", "service.item.create",
        "service.item.update", "service.timeline.read", "service.timeline.append",
        "service.legacy_file.list", "acting.begin", "session.refused", "login.success",
        "account.register", "credential.link", "legacy.claim", "grant.created", "grant.changed",
        "grant.revoked", "representative.register", "organisation.onboard",
        "organisation.invite", "organisation.join",
    }  # fmt: skip
    assert listed <= actions, sorted(listed - actions)
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", a) for a in actions), sorted(actions)


def test_the_action_finder_sees_a_new_action_or_says_it_cannot(tmp_path: pathlib.Path) -> None:
    """A new action named in any of the code's ways is found; one it cannot follow is reported."""
    (tmp_path / "new.py").write_text(
        "def page(policy, uow):\n"
        "    policy.authorize(None, None, None, uow=uow, record_as='door.brand.new')\n"
        "    _note(uow, 'parcel.sent')\n"
        "    _gate(uow, 'form.read')\n"
        "def _note(uow, action):\n"
        "    uow.append(AuditEntry(action=action))\n"
        "def _gate(uow, what):\n"
        "    policy.record(None, record_as=f'service.{what}')\n"
        "def odd(names):\n"
        "    policy.record(None, record_as=names[0])\n"
    )
    actions, unresolved = recorded_actions(tmp_path)
    assert {"door.brand.new", "parcel.sent", "service.form.read"} <= actions
    assert unresolved == ["new.py:10"]


def test_every_recorded_action_has_words_in_both_languages() -> None:
    """Each action found in the code has its own phrase, done and tried, in English and French."""
    actions, _ = recorded_actions()
    missing = sorted(a for a in actions if a not in _wording.ACTIONS)
    assert missing == []
    for action in actions:
        phrase = _wording.ACTIONS[action]
        for text in (phrase.en, phrase.en_tried, phrase.fr, phrase.fr_tried):
            slots = ("{item}", "{grantee}", "{service}")
            assert text.strip() and "{" not in re.sub("|".join(map(re.escape, slots)), "", text), (
                action,
                text,
            )
        assert phrase.en != phrase.fr and phrase.en_tried != phrase.fr_tried


#: The reasons agreed with delegation, and the identity subsystem's refusals.
AGREED = (
    "no_grant", "scope", "assurance", "field", "capacity", "plugin", "licence", "membership",
    "not_found", "not_offered", "account_disabled", "not_yet_valid", "expired", "revoked",
    "lapsed", "not_licensed", "declined", "not_representative", "no match", "locked",
    "claimed elsewhere",
)  # fmt: skip


def _error_codes() -> set[str]:
    """The codes of every error a refused grant change records as its reason."""
    found: set[str] = set()
    todo: list[type[errors.IrccAccountError]] = [
        errors.DelegationError, errors.StepUpRequired, errors.AuthorizationError, errors.NotFound
    ]  # fmt: skip
    while todo:
        cls = todo.pop()
        found.add(cls.code)
        todo += cls.__subclasses__()
    return found


def _denial_constants() -> set[str]:
    """The string reasons the code refuses with: ``_deny("...")`` and refusal decisions."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node)
            if callee == "_deny" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
            allowed = [kw.value for kw in node.keywords if kw.arg == "allowed"]
            refused = callee == "AuthorizationError" or (
                callee == "AuthorizationDecision"
                and any(isinstance(a, ast.Constant) and a.value is False for a in allowed)
            )
            if refused:
                for kw in node.keywords:
                    if kw.arg == "reason" and isinstance(kw.value, ast.Constant):
                        found.add(str(kw.value.value))
    return found


@pytest.mark.parametrize(
    "reason", sorted(set(AGREED) | DENIAL_REASONS | _error_codes() | _denial_constants())
)
def test_every_refusal_reason_has_words_in_both_languages(reason: str) -> None:
    """Each reason a refusal can carry reads as words, never as its code."""
    words = _wording.REASONS.get(reason)
    assert words is not None, reason
    assert words.en and words.fr and words.en != words.fr
    assert reason not in (words.en, words.fr)


def test_a_services_restriction_names_the_service() -> None:
    """``restricted:<service>:<reason>`` reads as the service restricting it; failures say so."""
    from ircc_account.services import BilingualText

    service = BilingualText("the service Visitor visa", "le service Visa de visiteur")
    words = _wording.reason_words("restricted:trv:embargo", service)
    assert words.en == "the service Visitor visa restricted it"
    assert words.fr == "le service Visa de visiteur l'a restreint"
    assert "did not answer" in _wording.reason_words("restricted:trv:failed", service).en


def test_french_elides_and_contracts() -> None:
    """Composed French reads as French: "tenté de agir" is "tenté d'agir", "à le" is "au"."""
    assert _wording.french("a tenté de agir sur un élément") == "a tenté d'agir sur un élément"
    assert _wording.french("donné à le bureau") == "donné au bureau"
    assert _wording.french("consulter de une demande") == "consulter d'une demande"
