"""The README documents every setting, and every setting is read through audit/settings.py."""

import re

from audit.settings import Settings
from tests.conftest import ROOT


def settings_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Settings", 1)[1].split("\n## ", 1)[0]


def test_every_setting_is_in_the_readme_table():
    rows = {match for match in re.findall(r"^\| `(AUDIT_[A-Z_]+)`", settings_table(), re.MULTILINE)}
    fields = {f"AUDIT_{name.upper()}" for name in Settings.model_fields}
    assert fields - rows == set(), "settings missing from README's settings table"
    assert rows - fields == set(), "README documents settings the code does not have"


def test_nothing_reads_the_environment_but_the_settings():
    sources = [ROOT / "app.py", *(path for path in (ROOT / "audit").rglob("*.py") if path.name != "settings.py")]
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in sources
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in block.strip().splitlines()] == [["make", "run"], ["make", "test"]]


def test_the_map_names_every_package_and_module_of_audit():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    where = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    audit = ROOT / "audit"
    parts = [f"audit/{path.parent.name}/" for path in audit.glob("*/__init__.py")]
    parts += [f"audit/{path.name}" for path in audit.glob("*.py") if not path.name.startswith("__")]
    assert [part for part in sorted(parts) if f"`{part}`" not in where] == []
