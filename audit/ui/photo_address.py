"""Evidence photos are shown from the app's own photo route, never from Streamlit's open media store."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from audit.model import User
from audit.services.photo_links import photo_address
from audit.ui.session import database


def photo_src(user: User, finding_id: str, sha256: str, *, thumbnail: bool) -> str:
    """A full address (st.image takes no relative one) on the host the browser already uses."""
    page = urlsplit(st.context.url or "http://localhost/")
    return f"{page.scheme}://{page.netloc}" + photo_address(database(), user, finding_id, sha256, thumbnail=thumbnail)
