"""Disabled, idle and re-roled sessions: no fragment rerun and no widget callback acts for them.

Callbacks and fragment reruns run without the top of app.py, so the sign-in gate there does not
cover them; each goes through `audit.ui.session.guarded`, and the services read the actor again.
"""

from __future__ import annotations

import ast
from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from audit.model import Result
from audit.services import accounts
from audit.services import inspections as service
from audit.services.checklists import checklists_directory, sync_checklists
from audit.store import open_database
from tests.app.conftest import SignIn
from tests.conftest import ROOT
from tests.test_inspections import add_site, make_site

CALLBACK_ARGUMENTS = {"on_click", "on_change", "on_select"}


def ui_modules():
    return sorted((ROOT / "audit" / "ui").glob("*.py"))


@pytest.mark.parametrize("path", ui_modules(), ids=lambda path: path.name)
def test_every_callback_and_fragment_in_the_ui_goes_through_the_guard(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in CALLBACK_ARGUMENTS:
            value = node.value
            guarded = isinstance(value, ast.Call) and getattr(value.func, "id", None) == "guarded"
            assert guarded or isinstance(value, ast.Constant), f"{path.name}:{node.value.lineno} {node.arg} unguarded"
        if isinstance(node, ast.FunctionDef):
            names = [ast.unparse(decorator) for decorator in node.decorator_list]
            if any(name.startswith("st.fragment") for name in names):
                below = names[names.index(next(n for n in names if n.startswith("st.fragment"))) + 1 :]
                assert "guarded" in below, f"{path.name}: fragment {node.name} is not guarded"


def guarded_page():
    """A fragment and a callback, run without any gate above them, as a fragment rerun or callback is."""
    import streamlit as st

    from audit.ui.session import guarded

    def save():
        st.session_state["saved"] = st.session_state.get("saved", 0) + 1

    @st.fragment
    @guarded
    def part():
        st.session_state["drawn"] = st.session_state.get("drawn", 0) + 1
        st.button("save", key="save", on_click=guarded(save))

    part()


class Clock:
    def __init__(self):
        self.moment = datetime(2026, 3, 1, 9, 0)

    def __call__(self):
        return self.moment


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("audit.ui.session.now", clock)
    return clock


@pytest.fixture
def page(app_db, clock):
    sign = SignIn()
    admin = sign.account("admin", username="boss")
    app = AppTest.from_function(guarded_page, default_timeout=30)
    user = sign(app, "inspector", username="li.na")
    app.run()
    assert app.session_state["drawn"] == 1
    return app, sign.database, admin, user


def disable(database, admin, user, clock):
    accounts.set_active(database, admin, user.username, False)


def idle(database, admin, user, clock):
    clock.moment += timedelta(minutes=31)


def demote(database, admin, user, clock):
    accounts.set_role(database, admin, user.username, "unit", unit="光明社区居委会")


@pytest.mark.parametrize("change", [disable, idle], ids=["disabled", "idle"])
def test_a_stopped_session_draws_no_fragment_and_runs_no_callback(page, clock, change):
    app, database, admin, user = page
    change(database, admin, user, clock)
    app.button(key="save").click().run()
    assert "saved" not in app.session_state
    assert app.session_state["drawn"] == 1
    assert "user" not in app.session_state


def test_a_changed_role_reruns_the_whole_app_before_the_callback(page, clock):
    app, database, admin, user = page
    demote(database, admin, user, clock)
    app.button(key="save").click().run()
    assert "saved" not in app.session_state  # the tap redrew the page under the new role instead
    assert app.session_state["user"].role.value == "unit"


# --- the inspection page: an answer saved through a widget callback ---------------------------------


@pytest.fixture
def inspection(app_db):
    database = open_database(app_db)
    sync_checklists(database, checklists_directory())
    site = add_site(database, make_site("国胜社区集中隔离点", "Guosheng isolation point"))
    database.close()
    sign = SignIn()
    admin = sign.account("admin", username="boss")
    chen = sign.account("inspector", username="chen", display_name="陈明")
    started = service.start_inspection(
        sign.database,
        chen,
        site_id=site.id,
        checklist_id="quarantine_transfer",
        inspectors=["陈明"],
        started_at=datetime.now() - timedelta(minutes=5),
    )
    return sign, admin, chen, started.id


def answered(database, inspection_id, item_id="QT-01") -> list:
    with database.read() as cursor:
        return [
            row[0]
            for row in cursor.execute(
                "SELECT result FROM responses WHERE inspection_id = ? AND item_id = ?", [inspection_id, item_id]
            ).fetchall()
        ]


@pytest.mark.parametrize("change", [disable, idle, demote], ids=["disabled", "idle", "role changed"])
def test_a_stopped_session_cannot_save_an_answer_through_its_callback(make_app, inspection, clock, change):
    sign, admin, chen, inspection_id = inspection
    app = make_app()
    sign(app, chen)
    app.run()
    app.switch_page("audit/ui/inspect.py")
    app.query_params["inspection"] = inspection_id
    app.run()
    key = f"inspect:{inspection_id}:QT-01:result"
    app.segmented_control(key=key).set_value("pass").run()
    assert answered(sign.database, inspection_id) == [Result.PASS.value]

    change(sign.database, admin, chen, clock)
    app.segmented_control(key=key).set_value("fail").run()
    assert answered(sign.database, inspection_id) == [Result.PASS.value]
    assert not app.exception
    assert [title.value for title in app.title] != ["陈明"]  # and no inspection page is drawn for it
