"""The one way a page shows an error: its title and its text, in the page's language.

Texts may hold what people typed (a username, a unit's name), so both are escaped before
st.error renders them as Markdown.
"""

from __future__ import annotations

import streamlit as st

from audit.errors import AuditError
from audit.ui.session import language
from audit.ui.text import plain


def kept(error: AuditError) -> AuditError:
    """The error to keep in the session for a later draw, without the frames (and uploads) it would hold."""
    error.__traceback__ = error.__cause__ = error.__context__ = None
    return error


def show_error(error: AuditError, *, icon: str = ":material/error:", warning: bool = False) -> None:
    """`warning` for what still stands in the way (a check before submitting), not a refusal."""
    lang = language()
    box = st.warning if warning else st.error
    box(f"**{plain(error.title(lang))}**  \n{plain(error.text(lang))}", icon=icon)
