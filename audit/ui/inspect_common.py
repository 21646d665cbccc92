"""Helpers shared by the inspection widgets: saving from callbacks, errors beside fields, plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import streamlit as st

from audit.errors import AuditError
from audit.services.inspections import message
from audit.ui.session import language, t

ERRORS = "inspect.errors"
SAVED = "inspect.saved"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def plain(text: str) -> str:
    """User text for st.markdown: every markdown and HTML character shown as typed, lines kept."""
    return _MARKDOWN.sub(r"\\\1", text or "").replace("\n", "  \n")


def attempt(key: str, action: Callable[[], object]) -> bool:
    """Run one service call from a widget callback; keep its error to show beside the widget."""
    errors = st.session_state.setdefault(ERRORS, {})
    try:
        action()
    except AuditError as error:
        errors[key] = message(error, language())
        return False
    errors.pop(key, None)
    st.session_state[SAVED] = datetime.now()
    return True


def show_error(key: str) -> None:
    text = st.session_state.get(ERRORS, {}).get(key)
    if text:
        st.error(text, icon=":material/error:")


def labels(prefix: str, options) -> Callable[[object], str]:
    """A format_func fixed to today's language: widgets call it after the script has run."""
    texts = {option: t(f"{prefix}.{option}") for option in options}
    return texts.get


def seed(key: str, value) -> None:
    """Give a widget its stored value the first time it is drawn in this session."""
    if key not in st.session_state:
        st.session_state[key] = value


def saved_indicator() -> None:
    saved = st.session_state.get(SAVED)
    if saved:
        st.caption(t("inspect.saved", time=saved.strftime("%H:%M:%S")))
    else:
        st.caption(t("inspect.autosave"))
