"""Helpers shared by the inspection widgets: saving from callbacks, errors beside fields, plain text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import streamlit as st

from audit.errors import AuditError
from audit.model import Severity
from audit.ui import errors as ui_errors
from audit.ui.session import t
from audit.ui.text import plain

ERRORS = "inspect.errors"
SAVED = "inspect.saved"


def attempt(key: str, action: Callable[[], object]) -> bool:
    """Run one service call from a widget callback; keep its error to show beside the widget."""
    errors = st.session_state.setdefault(ERRORS, {})
    try:
        action()
    except AuditError as error:
        errors[key] = ui_errors.kept(error)
        return False
    errors.pop(key, None)
    st.session_state[SAVED] = datetime.now()
    return True


def show_kept_error(key: str) -> None:
    """The error kept by `attempt` for this widget, if any."""
    error = st.session_state.get(ERRORS, {}).get(key)
    if error:
        ui_errors.show_error(error)


def labels(prefix: str, options) -> Callable[[object], str]:
    """A format_func fixed to today's language: widgets call it after the script has run."""
    texts = {option: t(f"{prefix}.{option}") for option in options}
    return texts.get


def given(key: str) -> tuple[bool, object]:
    """(True, value) when the widget's value is in the session; a callback without one saves nothing."""
    if key not in st.session_state:
        return False, None
    return True, st.session_state[key]


def finding_caption(
    severity: Severity, unit: str, deadline: date, *, photos: int | None = None, repeat: bool = False
) -> None:
    """Severity, responsible unit and deadline of a finding in one grey line."""
    parts = [
        t(
            "inspect.finding.summary",
            severity=t(f"inspect.severity.{severity.value}"),
            unit=plain(unit),
            deadline=deadline.isoformat(),
        )
    ]
    if photos is not None:
        parts.append(t("inspect.finding.photos", count=photos))
    if repeat:
        parts.append(t("inspect.review.repeat"))
    st.caption(" · ".join(parts))


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
