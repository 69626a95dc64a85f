"""
The enquiries service is published like a third party's: an entry point in
the ``ircc_account.services`` group of the package's metadata, naming the
plugin object, whose manifest is bilingual and declares ``enquire``.
"""

from __future__ import annotations

import importlib
import pathlib
import tomllib

from ircc_account.builtin import enquiries

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_the_entry_point_names_the_plugin() -> None:
    """pyproject's entry point ``enquiries`` resolves to the plugin object, whose id it is."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    target = project["entry-points"]["ircc_account.services"][enquiries.SERVICE_ID]
    module, _, name = target.partition(":")
    assert getattr(importlib.import_module(module), name) is enquiries.plugin
    manifest = enquiries.plugin.ircc_service_manifest()
    assert manifest.service_id == enquiries.SERVICE_ID
    assert "enquire" in manifest.scopes and manifest.title.en != manifest.title.fr
