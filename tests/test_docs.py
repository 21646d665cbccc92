"""The README documents every setting the code reads."""

import re

from tests.conftest import ROOT


def test_every_environment_setting_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "audit").rglob("*.py"))
    read = set(re.findall(r'os\.environ\.get\(\s*"(AUDIT_[A-Z_]+)"', code))
    read |= set(re.findall(r'SETTING\s*=\s*"(AUDIT_[A-Z_]+)"', code))
    assert read, "no settings found: the pattern no longer matches the code"
    assert sorted(name for name in read if f"`{name}`" not in readme) == []


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in block.strip().splitlines()] == [["make", "run"], ["make", "test"]]
