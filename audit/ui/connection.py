"""What the page does when the signal drops: say so, and send again what was done meanwhile.

Streamlit's page sends each tap over its websocket and forgets it. When the link dies without the
browser noticing at once (a weak signal), taps and typed text go into a dead socket: the page shows
them, the server never gets them, and Streamlit's reconnect does not send them again. Every rerun
request carries the value of every widget on the page, though, and the server saves each one that
differs from what it holds. So `connection.js` (served by the app, see routes.py) shows the banner
below while the browser is offline or Streamlit is not connected, and once both are back it presses
the hidden "send again" button until the server confirms, by drawing the "back" line, that it ran.
"""

from __future__ import annotations

import streamlit as st

from audit.ui.session import guarded, now, t
from audit.ui.text import plain

SCRIPT = "/_app/connection.js"
RESENT = "connection.resent"
ERRORS = "inspect.errors"  # where the inspection widgets keep the errors of saves that failed


def _resent() -> None:
    previous = st.session_state.get(RESENT, (0, None, 0))
    failed = sum(1 for error in st.session_state.get(ERRORS, {}).values() if error)
    st.session_state[RESENT] = (previous[0] + 1, now(), failed)


def connection_watch() -> None:
    """The banner's texts in the page's language, hidden until the script shows them, and its button.

    Captions, drawn after the top bar's, so the lines and Markdown a page draws itself come as before.
    """
    with st.container(key="connection"):
        st.html('<script src="/_app/connection.js"></script>', unsafe_allow_javascript=True)
        with st.container(key="connection-offline"):
            st.caption(f"**{t('connection.offline.title')}**  \n{t('connection.offline.body')}")
        with st.container(key="connection-sending"):
            st.caption(t("connection.sending"))
        count, when, failed = st.session_state.get(RESENT, (0, None, 0))
        if count:
            with st.container(key=f"connection-back-{count}"):
                if failed:
                    st.caption(t("connection.back.errors", count=failed))
                else:
                    st.caption(t("connection.back.saved", time=plain(f"{when:%H:%M:%S}")))
        st.button(t("connection.resend"), key="connection-resend", on_click=guarded(_resent))
