"""House rules import-linter cannot state: all SQL in the store, and no module importing itself back.

The layers, the store behind services and streamlit only in the UI are import-linter contracts
in pyproject.toml, checked by `make lint` (part of `make test`) and by the test below.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import grimp
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIEW)"
    r"|ALTER\s+TABLE|DROP\s+TABLE|COPY\s|EXPORT\s+DATABASE|IMPORT\s+DATABASE|WITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE | re.DOTALL,
)


def project_files() -> list[Path]:
    files = [ROOT / "app.py", *(ROOT / "audit").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    return [path for path in files if path.exists()]


def string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            found.append((node.lineno, text))
    return found


def test_sql_lives_only_in_the_store():
    offenders = []
    for path in project_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("audit/store/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{relative}:{line}" for line, text in string_constants(tree) if SQL.search(text)]
    assert offenders == [], f"SQL outside audit/store/: {offenders}"


def cycles(package: str) -> list[tuple[str, str]]:
    """Imports a -> b where b leads back to a: a module cycle, including a package and its own modules."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    return sorted(
        (a, b)
        for a in graph.modules
        for b in graph.find_modules_directly_imported_by(a)
        if graph.find_shortest_chain(importer=b, imported=a)
    )


def test_no_module_imports_itself_back():
    assert cycles("audit") == []


def test_every_part_of_audit_is_in_a_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(contract["layers"] for contract in config["contracts"] if contract["type"] == "layers")
    named = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    parts = {f"audit.{path.stem}" for path in (ROOT / "audit").glob("*.py") if path.name != "__init__.py"}
    parts |= {f"audit.{path.parent.name}" for path in (ROOT / "audit").glob("*/__init__.py")}
    assert sorted(parts - named) == []


def test_the_import_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)  # import-linter reads pyproject.toml from the working folder
    assert lint_imports(no_cache=True) == EXIT_STATUS_SUCCESS


def test_the_contract_checks_catch_a_breach(tmp_path, monkeypatch):
    assert any(SQL.search(text) for _, text in string_constants(ast.parse('q = "SELECT id FROM findings"\n')))
    assert not any(SQL.search(text) for _, text in string_constants(ast.parse('x = "select a site"')))
    package = tmp_path / "looped"
    package.mkdir()
    (package / "__init__.py").write_text("from looped import command\n")
    (package / "command.py").write_text("from looped import __name__ as group\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cycles("looped") == [("looped", "looped.command"), ("looped.command", "looped")]
