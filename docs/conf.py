"""
Sphinx configuration: MyST Markdown, built with ``-n -W`` (every reference must resolve).
"""

from __future__ import annotations

import importlib.metadata

project = "ircc_account"
author = "ircc_account developers"
release = importlib.metadata.version("ircc-account")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]

autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True

nitpicky = True
# References to the standard library and third-party packages cannot be
# resolved offline (no intersphinx on a closed network): anything outside
# ircc_account is plain text; our own references must all resolve.
nitpick_ignore_regex = [
    (r"py:.*", r"(?!ircc_account\b).*"),
    # Private modules are not documented by design (bases such as mixins show
    # up through show-inheritance); every public name must still resolve.
    (r"py:.*", r"ircc_account(\.\w+)*\._\w+.*"),
]

html_theme = "furo"
html_title = "ircc_account"


# A public module re-exports constants defined in private modules; autodoc
# documents a module's data only where that module's own source has a ``#:``
# comment for it, so it would leave them out. Give each public module's
# analyzer the ``#:`` comment of the module that assigns the constant
# (tests/test_public_api.py checks every exported constant has one).
def _constant_doc(public: str, name: str) -> list[str] | None:
    import sys

    from sphinx.pycode import ModuleAnalyzer

    value = getattr(sys.modules[public], name)
    homes = sorted(
        m
        for m, mod in list(sys.modules.items())
        if m.startswith("ircc_account.") and m != public and getattr(mod, name, None) is value
    )
    for home in homes:
        docs = ModuleAnalyzer.for_module(home).find_attr_docs()
        if ("", name) in docs:
            return list(docs["", name])
    return None


def _document_constants(app):  # type: ignore[no-untyped-def]
    import importlib
    import inspect

    from sphinx.pycode import ModuleAnalyzer

    for public in _public_modules():
        module = importlib.import_module(public)
        if not hasattr(module, "__all__"):
            continue
        analyzer = ModuleAnalyzer.for_module(public)
        docs = analyzer.find_attr_docs()
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) or inspect.isroutine(value) or ("", name) in docs:
                continue
            doc = _constant_doc(public, name)
            if doc is not None:
                docs["", name] = doc


def _public_modules() -> list[str]:
    import pkgutil

    import ircc_account

    names = ["ircc_account"]
    for info in pkgutil.walk_packages(ircc_account.__path__, "ircc_account."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("builder-inited", _document_constants)
