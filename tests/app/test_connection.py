"""The connection banner's texts and its "send again" button, as the server draws them (connection.js shows them)."""

from __future__ import annotations

import pytest

from audit.i18n import t


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_offline_banner_says_in_the_pages_language_that_taps_are_not_saved_yet(make_app, signed_in, language):
    app = make_app(language)
    signed_in(app)
    app.run()
    shown = " ".join(block.value for block in app.caption)
    assert t("connection.offline.title", language) in shown
    assert t("connection.offline.body", language) in shown
    assert t("connection.sending", language) in shown
    assert app.button(key="connection-resend")


def test_sending_again_confirms_with_the_time_or_counts_what_could_not_be_saved(make_app, signed_in):
    app = make_app("en")
    signed_in(app)
    app.run()
    assert not any("is saved" in block.value for block in app.caption)
    app.button(key="connection-resend").click().run()
    assert any("Everything you tapped or typed offline is saved" in block.value for block in app.caption)

    app.session_state["inspect.errors"] = {"inspect:x:QT-04:result": "kept error", "inspect:x:QT-05:result": None}
    app.button(key="connection-resend").click().run()
    assert any("1 of your changes could not be saved" in block.value for block in app.caption)
