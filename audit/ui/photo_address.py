"""Evidence photos are shown from the app's own photo route, never from Streamlit's open media store."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from audit.model import User
from audit.services.photo_links import photo_address
from audit.ui.session import database


def photo_src(user: User, owner_id: str, sha256: str, *, thumbnail: bool, kind: str = "finding") -> str:
    """A full address (st.image takes no relative one) on the host the browser already uses.

    `owner_id` is the finding's id, or with kind="draft" the finding form's.
    """
    page = urlsplit(st.context.url or "http://localhost/")
    path = photo_address(database(), user, owner_id, sha256, thumbnail=thumbnail, kind=kind)
    return f"{page.scheme}://{page.netloc}{path}"
