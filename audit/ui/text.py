"""Text that people, units or imports supplied, made inert before it goes into Markdown.

Streamlit renders Markdown in st.markdown, captions, titles, alerts, toasts, widget labels, options of
pills, radios and segmented controls, tab and expander titles: `[x](url)` there becomes a link,
`![x](url)` makes every viewer's browser fetch the address. A backslash takes the meaning away from
each character that has one (CommonMark lets any ASCII punctuation be escaped): those that act anywhere
in a line, and those that start a list, a heading, a rule or a directive at the start of one.

Escapes are not enough for what Streamlit's renderer finds in the text after parsing: bare addresses
(`http://`, `www.`, `name@host`) that it turns into links, and `:shortcode:` emoji and icons. An
invisible WORD JOINER (U+2060) goes inside each of those, so they read exactly as typed and link nowhere.
"""

from __future__ import annotations

import re

JOINER = "\u2060"
_FOUND_AFTER_PARSING = re.compile(r"(?i)(?:(?<=http)|(?<=https))(?=://)|(?<=www)(?=\.)|(?=@)|(?<=:)(?=[\w+/-]+:)")
_ANYWHERE = re.compile(r"([\\`*_{}\[\]()#+!|<>~$&])")
_LINE_START = re.compile(r"^([ \t]*)(?:([-=:])|(\d+)([.]))", re.MULTILINE)


def plain(text: object, empty: str = "") -> str:
    """`text` for a Markdown string, shown exactly as typed, each line on its own line."""
    if text is None or text == "":
        return empty
    inert = _ANYWHERE.sub(r"\\\1", _FOUND_AFTER_PARSING.sub(JOINER, str(text)))
    inert = _LINE_START.sub(lambda m: m[1] + ("\\" + m[2] if m[2] else m[3] + "\\" + m[4]), inert)
    return inert.replace("\r\n", "\n").replace("\n", "  \n")
