"""Safe defaults: the server settings, and no user text ever rendered as HTML."""

from __future__ import annotations

import ast
import tomllib

from tests.conftest import ROOT


def test_server_settings_are_safe():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert 0 < config["server"]["maxUploadSize"] <= 50
    assert config["browser"]["gatherUsageStats"] is False


def html_offenders(source: str, name: str) -> list[str]:
    """Calls that could put user text into raw HTML: unsafe_allow_html=True anywhere, or st.html
    of anything but a constant or the static style sheet."""
    offenders = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "unsafe_allow_html" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                offenders.append(f"{name}:{node.lineno}")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "html" and node.args:
            argument = node.args[0]
            static_sheet = "style.css" in ast.unparse(argument) or ast.unparse(argument).startswith("pixel(")
            if not (isinstance(argument, ast.Constant) or static_sheet):
                offenders.append(f"{name}:{node.lineno}")
    return offenders


def test_no_user_text_is_rendered_as_html():
    files = [ROOT / "app.py", *(ROOT / "audit" / "ui").rglob("*.py")]
    offenders = [hit for path in files for hit in html_offenders(path.read_text(encoding="utf-8"), path.name)]
    assert offenders == []


def test_the_html_check_catches_what_it_should():
    assert html_offenders("st.markdown(name, unsafe_allow_html=True)", "x") == ["x:1"]
    assert html_offenders("st.html(f'<b>{finding.description}</b>')", "x") == ["x:1"]
    assert html_offenders("st.html('<hr>')\nst.markdown(name)", "x") == []
