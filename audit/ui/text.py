"""Text that people, units or imports supplied, made inert before it goes into Markdown.

Streamlit renders Markdown in st.markdown, captions, titles, alerts, toasts, widget labels, options of
pills, radios and segmented controls, tab and expander titles: `[x](url)` there becomes a link,
`![x](url)` makes every viewer's browser fetch the address. A backslash before every ASCII punctuation
character takes the meaning away from each of them (CommonMark lets any of them be escaped).

Escapes are not enough for what Streamlit's renderer finds in the text after parsing: bare addresses
(`http://`, `www.`, `name@host`) that it turns into links, and `:shortcode:` emoji. An invisible
WORD JOINER (U+2060) goes inside each of those, so they read exactly as typed and link nowhere.
"""

from __future__ import annotations

import re

JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_FOUND_AFTER_PARSING = re.compile(r"(?i)(?:(?<=http)|(?<=https))(?=://)|(?<=www)(?=\.)|(?=@)|(?<=:)(?=[\w+/-]+:)")


def plain(text: object, empty: str = "") -> str:
    """`text` for a Markdown string, shown exactly as typed, each line on its own line."""
    if text is None or text == "":
        return empty
    inert = _FOUND_AFTER_PARSING.sub(JOINER, str(text))
    return _PUNCTUATION.sub(r"\\\1", inert).replace("\r\n", "\n").replace("\n", "  \n")
