"""A setting the app cannot use stops every page with the variable's name, instead of a guess."""

from __future__ import annotations

import pytest

from audit import settings
from audit.errors import InvalidInput


def test_a_bad_idle_time_stops_the_app_naming_the_variable(make_app, monkeypatch):
    monkeypatch.setenv("AUDIT_IDLE_MINUTES", "[half an hour](https://example.com)")
    with pytest.raises(InvalidInput):
        settings.reload()
    app = make_app("en").run()
    assert not app.exception
    assert [error.value for error in app.error] == ["Invalid input"]
    shown = " ".join(text.value for text in app.text)
    assert "AUDIT_IDLE_MINUTES" in shown and "'[half an hour](https://example.com)'" in shown
    assert not app.text_input  # no sign-in form: nothing runs on a guessed setting
