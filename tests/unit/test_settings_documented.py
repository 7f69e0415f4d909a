"""Every setting is documented in README's configuration table, under the name it is read by."""

from __future__ import annotations

import re

from app.settings import ROOT, Settings


def documented_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))


def test_every_setting_is_in_the_readmes_configuration_table() -> None:
    names = {
        str(field.validation_alias or name).upper() for name, field in Settings.model_fields.items()
    }
    assert names - documented_names() == set()


def test_every_setting_has_a_description() -> None:
    assert [name for name, f in Settings.model_fields.items() if not f.description] == []
