"""House rules kept by a test: streamlit only in the UI, SQL only in the store."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIEW)"
    r"|ALTER\s+TABLE|DROP\s+TABLE|COPY\s|EXPORT\s+DATABASE|IMPORT\s+DATABASE|WITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE | re.DOTALL,
)


def project_files() -> list[Path]:
    files = [ROOT / "app.py", *(ROOT / "audit").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    return [path for path in files if path.exists()]


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            found.append((node.lineno, text))
    return found


def test_only_app_and_ui_import_streamlit():
    offenders = []
    for path in project_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative == "app.py" or relative.startswith("audit/ui/"):
            continue
        modules = imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if relative.startswith("bench/"):  # benchmarks may drive a page through AppTest, nothing more
            modules = {name for name in modules if not name.startswith("streamlit.testing")}
        if any(name == "streamlit" or name.startswith("streamlit.") for name in modules):
            offenders.append(relative)
    assert offenders == [], f"streamlit imported outside app.py and audit/ui/: {offenders}"


def test_sql_lives_only_in_the_store():
    offenders = []
    for path in project_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("audit/store/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{relative}:{line}" for line, text in string_constants(tree) if SQL.search(text)]
    assert offenders == [], f"SQL outside audit/store/: {offenders}"


def test_the_contract_checks_catch_a_breach(tmp_path):
    tree = ast.parse('import streamlit as st\nq = "SELECT id FROM findings"\n')
    assert "streamlit" in imported_modules(tree)
    assert any(SQL.search(text) for _, text in string_constants(tree))
    assert not any(SQL.search(text) for _, text in string_constants(ast.parse('x = "select a site"')))
