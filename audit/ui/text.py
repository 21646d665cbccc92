"""Text shown through Markdown (st.markdown, st.error, labels) exactly as it was written."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def plain(text: str) -> str:
    """User text for st.markdown: every markdown and HTML character shown as typed, lines kept."""
    return _MARKDOWN.sub(r"\\\1", text or "").replace("\n", "  \n")
