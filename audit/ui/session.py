"""What every page shares: the database, the language and the user's session."""

from __future__ import annotations

import streamlit as st

from audit import i18n
from audit.model import User
from audit.services.checklists import checklists_directory, sync_checklists
from audit.store import Database, database_path, open_database

LANGUAGE_KEY = "language"
USER_KEY = "user"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Database:
    # Shared by every session of the server: pages take cursors from it, never the connection.
    database = open_database(path)
    sync_checklists(database, checklists_directory())
    return database


def database() -> Database:
    return _open(str(database_path().resolve()))


def language() -> str:
    if LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = i18n.language_for(st.context.locale)
    return st.session_state[LANGUAGE_KEY]


def t(key: str, **values) -> str:
    return i18n.t(key, language(), **values)


def language_switch() -> None:
    """Sidebar control; the language starts as the browser's and can be changed at any time."""
    names = {"zh-CN": "中文", "en": "English"}
    language()
    st.sidebar.segmented_control(
        "语言 / Language",
        options=list(names),
        format_func=names.get,
        key=LANGUAGE_KEY,
        selection_mode="single",
    )
    if st.session_state.get(LANGUAGE_KEY) is None:  # deselecting keeps the current language
        st.session_state[LANGUAGE_KEY] = i18n.DEFAULT_LANGUAGE


def current_user() -> User | None:
    """The signed-in user of this browser session, or None."""
    return st.session_state.get(USER_KEY)
