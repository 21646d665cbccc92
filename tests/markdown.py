"""What Streamlit makes of a Markdown string, for tests of pages that show typed text.

`shown` is the text a reader sees of a string of escapes and plain words; `assert_shown_as_typed`
fails when the string would render a link, an image, HTML, an address that links itself, or would
not show the typed text character for character.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# GFM links bare addresses by itself (remark-gfm's autolink literal): these must not survive in the source.
_BARE_ADDRESS = re.compile(r"(?i)(?:https?://|www\.|mailto:|[\w.+-]+@[\w-]+\.[\w.-]+)")
_ACTIVE = {"link_open", "image", "html_inline", "html_block", "code_inline", "math_inline"}


def shown(source: str) -> str:
    """The words a reader sees for a Markdown string that only uses escapes and plain text."""
    return _ESCAPE.sub(r"\1", source)


def active_tokens(source: str) -> list[str]:
    """Links, images and HTML that CommonMark (with HTML on, as a worst case) makes of the string."""
    found = []
    for token in MarkdownIt("commonmark", {"html": True}).parse(source):
        found += [token.type] if token.type in _ACTIVE else []
        found += [child.type for child in token.children or [] if child.type in _ACTIVE]
    return found


def rendered_text(source: str) -> str:
    """The characters a reader sees, formatting dropped, each line break kept."""
    lines = []
    for token in MarkdownIt("commonmark", {"html": True}).parse(source):
        if token.type == "inline":
            lines.append("".join("\n" if child.type in ("softbreak", "hardbreak") else child.content
                                 for child in token.children or []))
    return "\n".join(lines)


def assert_inert(source: str) -> None:
    assert active_tokens(source) == [], f"{source!r} renders {active_tokens(source)}"
    assert not _BARE_ADDRESS.search(source), f"{source!r} holds an address that links itself"
    assert not re.search(r"(?<!\\)\$", source), f"{source!r} holds $ that starts a formula"


def assert_shown_as_typed(source: str, typed: str) -> None:
    assert_inert(source)
    assert typed in rendered_text(source), f"{typed!r} is not shown as typed by {source!r}"
