from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from audit import settings
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def app_db(db_path, monkeypatch):
    """The app pointed at a fresh database, with Streamlit's caches emptied."""
    monkeypatch.setenv("AUDIT_DB", str(db_path))
    settings.reload()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db_path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def make_app(app_db):
    def build(language: str | None = None) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=30)
        if language:
            app.session_state["language"] = language
        return app

    return build
