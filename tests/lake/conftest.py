"""Fixtures of the lake tests that drive the app."""

from __future__ import annotations

import pytest
import streamlit as st

from audit import settings


@pytest.fixture
def lake_app(lake_target, monkeypatch):
    """The app pointed at a new, empty lake, with Streamlit's caches emptied."""
    monkeypatch.setenv("AUDIT_DB", lake_target)
    settings.reload()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield lake_target
    st.cache_resource.clear()
    st.cache_data.clear()
