"""Signing in and the admin page on a lake: when its maintenance last ran, and how it went."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from audit.services.maintenance import maintain_lake
from audit.store import open_database
from tests.app.conftest import APP, SignIn


def test_the_backup_tab_says_when_the_lake_was_last_maintained(lake_app):
    app = AppTest.from_file(APP, default_timeout=180)
    app.session_state["language"] = "en"
    SignIn()(app, "admin")  # a real sign-in: its counters are updated with RETURNING, done another way on a lake
    app.run()
    app = app.switch_page("audit/ui/admin.py").run()
    assert not app.exception
    assert "Lake maintenance" in [header.value for header in app.subheader]
    assert any("Not run yet" in caption.value for caption in app.caption)
    database = open_database(lake_app)
    assert maintain_lake(database) == "ok"
    database.close()
    app.run()
    assert not app.exception
    assert any(caption.value.startswith("Last run") for caption in app.caption)
    assert "ok" in [text.value for text in app.text]
