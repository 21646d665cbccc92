"""Every package the code imports is pinned exactly, in requirements.txt or (tests only) requirements-dev.txt."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

from tests.conftest import ROOT

FIRST_PARTY = {"audit", "tests", "bench", "app"}


def pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    entries = [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-r"))]
    return {re.split(r"[=<>~!]", entry)[0].lower().replace("_", "-"): entry for entry in entries}


def imported(folders: list[str]) -> set[str]:
    names = set()
    for path in [p for folder in folders for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - FIRST_PARTY - set(sys.stdlib_module_names)


def unpinned(modules: set[str], pinned: dict[str, str]) -> list[str]:
    owners = packages_distributions()
    return sorted(
        module
        for module in modules
        if not {dist.lower().replace("_", "-") for dist in owners.get(module, [module])} & set(pinned)
    )


def test_every_requirement_is_pinned_exactly():
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert [entry for entry in pins(name).values() if "==" not in entry] == [], name


def test_the_app_imports_only_what_requirements_txt_pins():
    assert unpinned(imported(["audit"]), pins("requirements.txt")) == []


def test_tests_and_benchmarks_import_only_what_is_pinned():
    everything = pins("requirements.txt") | pins("requirements-dev.txt")
    assert unpinned(imported(["audit", "tests", "bench"]), everything) == []
