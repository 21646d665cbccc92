"""Text that people, units or imports supplied, made inert before it goes into Markdown.

Streamlit renders Markdown in st.markdown, captions, titles, alerts, toasts, widget labels, options of
pills, radios and segmented controls, tab and expander titles: `[x](url)` there becomes a link,
`![x](url)` makes every viewer's browser fetch the address, `http://...` turns into a link by itself.
A backslash before every ASCII punctuation character takes the meaning away from each of them
(CommonMark lets any of them be escaped), which also breaks up addresses so nothing links itself.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object, empty: str = "") -> str:
    """`text` for a Markdown string, shown exactly as typed, each line on its own line."""
    if text is None or text == "":
        return empty
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\r\n", "\n").replace("\n", "  \n")
