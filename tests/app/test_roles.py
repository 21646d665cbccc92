"""Every page in app.py against every role: allowed pages draw cleanly, the others are not there."""

from __future__ import annotations

import ast

import pytest

from audit.model import Role
from audit.services.permissions import Permission, can
from tests.conftest import ROOT


def _table(name: str):
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    return next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name
    )


def pages() -> list[tuple[str, Permission | None]]:
    """(page file, permission) for each PAGES line of app.py, read without running the app."""
    found = []
    for entry in _table("PAGES").elts:
        page, permission = entry.elts[0].value, entry.elts[4]
        found.append((page, None if isinstance(permission, ast.Constant) else Permission[permission.attr]))
    return found


def also() -> dict[str, Permission]:
    """page file -> the other permission that reaches it unlisted (app.py's ALSO, keyed by url path)."""
    files = {entry.elts[3].value: entry.elts[0].value for entry in _table("PAGES").elts}
    table = _table("ALSO")
    return {files[key.value]: Permission[value.attr] for key, value in zip(table.keys, table.values, strict=True)}


def test_the_page_table_is_read():
    assert ("home.py", None) in pages() and ("admin.py", Permission.MANAGE_ACCOUNTS) in pages()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_what_it_may_use_and_nothing_else(make_app, signed_in, role):
    app = make_app()
    user = signed_in(app, role.value)
    app.run()
    assert not app.exception
    for page, permission in pages():
        path = f"audit/ui/{page}"
        if permission is None or can(user, permission) or (page in also() and can(user, also()[page])):
            app.switch_page(path).run()
            assert not app.exception, f"{page} as {role.value}: {app.exception}"
            assert app.title, f"{page} as {role.value} drew no title"
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app.switch_page(path)
