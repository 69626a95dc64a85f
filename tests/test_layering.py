"""
The layering of docs/architecture.md, read from the source with ast: no
module imports another subpackage's private module, and no modules import
each other in a circle.

The rule. A module of ``ircc_account`` belongs to a top-level part: the
subpackage or module right under the root (``audit``, ``services``,
``testing``, ``cli``...). A private name is a module whose dotted path has a
part starting with ``_`` (``ircc_account.services._allowlist``). A module
may import the private modules of its own part, and the root's private
packages, which are the library's shared internals (the domain model,
storage, crypto, the clock, the front door, the command line's helpers):
every layer builds on them. Any other private import is a finding, unless
it is listed in ``EXCEPTIONS`` with the reason it stays.

Imports are read wherever they are: at the top, inside functions, and under
``TYPE_CHECKING`` (a circle of types is still a circle).
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import ircc_account

SRC = pathlib.Path(ircc_account.__file__).resolve().parent
ROOT = "ircc_account"

#: The root's private packages and modules: shared internals every part may import.
SHARED = {"_cli", "_clock", "_crypto", "_door", "_exports", "_model", "_storage"}

#: (importing module, imported private module): why the import stays.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # Type-only (TYPE_CHECKING): importing the package ircc_account.services
    # would be a circle, since its registry imports the hook specifications.
    ("ircc_account.hookspecs", "ircc_account.services._context"): "type-only, see above",
    ("ircc_account.hookspecs", "ircc_account.services._manifest"): "type-only, see above",
    ("ircc_account.hookspecs", "ircc_account.services._values"): "type-only, see above",
    # The fuzzing harnesses exist to drive the private parsers directly.
    ("ircc_account.testing.fuzz._targets", "ircc_account.builtin.applications._answers"): "fuzz",
    ("ircc_account.testing.fuzz._targets", "ircc_account.builtin.applications._evaluate"): "fuzz",
    ("ircc_account.testing.fuzz._targets", "ircc_account.delegation._tokens"): "fuzz",
    ("ircc_account.testing.fuzz._targets", "ircc_account.identity._params"): "fuzz",
    # The notifications worker runs outside any request (no actor to ask the
    # policy for): it reads the grant a notice concerns, and its grantee's
    # name, with delegation's repository. Debt: delegation has no public read
    # for a background job.
    ("ircc_account.builtin.notify._recipients", "ircc_account.delegation._repo"): "no actor",
    ("ircc_account.builtin.notify._worker", "ircc_account.delegation._repo"): "no actor",
}


def _modules() -> dict[str, pathlib.Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in SRC.rglob("*.py"):
        parts = [ROOT, *path.relative_to(SRC).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: pathlib.Path) -> Iterator[str]:
    """The modules of the package that *name* imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            # "from package import module" imports that module too.
            yield from (f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES)


def _known(module: str) -> str | None:
    """*module*, or the nearest package holding it, if it is ours."""
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module or None


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _private_part(module: str) -> str | None:
    """The top-level part whose private module *module* is; None if it is public or shared."""
    parts = module.split(".")
    if not any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
        return None
    if parts[1] in SHARED:
        return None
    return parts[1]


def test_no_module_imports_another_parts_private_module() -> None:
    """A module imports private modules only of its own top-level part, the root's shared internals, or a listed exception."""
    found = set()
    for name, path in MODULES.items():
        for imported in _imports(name, path):
            if not imported.startswith(ROOT + ".") or (target := _known(imported)) is None:
                continue
            owner = _private_part(target)
            if owner is not None and owner != _part(name):
                found.add((name, target))
    assert sorted(found - set(EXCEPTIONS)) == [], "private modules imported across parts"
    assert sorted(set(EXCEPTIONS) - found) == [], "exceptions no longer needed: remove them"


def test_the_shared_internals_are_the_roots_private_modules() -> None:
    """The list of shared internals names exactly the root's private packages and modules."""
    private = {n.split(".")[1] for n in MODULES if "." in n and n.split(".")[1].startswith("_")}
    assert private == SHARED


def _graph() -> dict[str, set[str]]:
    """Each module's imports of other modules (a module importing its own package's ``__init__`` does not count)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        deps = set()
        for imported in _imports(name, path):
            target = _known(imported) if imported.startswith(ROOT) else None
            if target is None or target == name:
                continue
            if MODULES[target].name == "__init__.py" and name.startswith(target + "."):
                continue
            deps.add(target)
        graph[name] = deps
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_no_modules_import_each_other_in_a_circle() -> None:
    """No set of modules imports each other in a circle, type-only and function-level imports included."""
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    """The circle check reports a circle of three modules and leaves a line alone."""
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
