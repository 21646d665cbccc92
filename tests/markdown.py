"""What Streamlit makes of a Markdown string, for tests of pages that show typed text.

`shown` is the text a reader sees of a string of escapes and plain words; `assert_shown_as_typed`
fails when the string would render a link, an image, HTML, an address that links itself, or would
not show the typed text character for character.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
INVISIBLE = "\u2060"
# What Streamlit's renderer still finds in the parsed text, escapes or not: GFM's literal autolinks
# (the expressions of mdast-util-gfm-autolink-literal, whose \w is ASCII) and :shortcode: emoji.
_FOUND_AFTER_PARSING = re.compile(r"(?i)https?://|www(?=\.)|[-.\w+]+@[-\w]+(?:\.[-\w]+)+|:[\w+/-]+:", re.ASCII)
_ACTIVE = {"link_open", "image", "html_inline", "html_block", "code_inline", "math_inline"}


def seen(text: str) -> str:
    return text.replace(INVISIBLE, "")


def shown(source: str) -> str:
    """The words a reader sees for a Markdown string that only uses escapes and plain text."""
    return seen(_ESCAPE.sub(r"\1", source))


def active_tokens(source: str) -> list[str]:
    """Links, images and HTML that CommonMark (with HTML on, as a worst case) makes of the string.

    A link within the app (an address starting with one slash, as the pages make to a finding) is allowed.
    """
    found = []
    for token in MarkdownIt("commonmark", {"html": True}).parse(source):
        for part in [token, *(token.children or [])]:
            internal = part.type == "link_open" and re.match(r"/[^/\\]", str(part.attrGet("href") or ""))
            if part.type in _ACTIVE and not internal:
                found.append(f"{part.type} {part.attrGet('href') or part.attrGet('src') or part.content}".strip())
    return found


def rendered_text(source: str) -> str:
    """The characters a reader sees, formatting dropped, each line break kept."""
    lines = []
    for token in MarkdownIt("commonmark", {"html": True}).parse(source):
        if token.type == "inline":
            lines.append(
                "".join(
                    "\n" if child.type in ("softbreak", "hardbreak") else child.content
                    for child in token.children or []
                )
            )
    return "\n".join(lines)


def assert_inert(source: str) -> None:
    assert active_tokens(source) == [], f"{source!r} renders {active_tokens(source)}"
    found = _FOUND_AFTER_PARSING.search(rendered_text(source))
    assert not found, f"{source!r} holds {found.group()!r}, which Streamlit turns into a link or an emoji"
    assert not re.search(r"(?<!\\)\$", source), f"{source!r} holds $ that starts a formula"


def assert_shown_as_typed(source: str, typed: str) -> None:
    assert_inert(source)
    assert typed in seen(rendered_text(source)), f"{typed!r} is not shown as typed by {source!r}"


_MARKDOWN_ELEMENTS = {
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "error",
    "warning",
    "info",
    "success",
    "toast",
}


def markdown_sources(app) -> list[str]:
    """Every string of an AppTest page that Streamlit renders as Markdown: texts, alerts, labels, options."""
    found = []
    for node in app._tree:
        if node.type in _MARKDOWN_ELEMENTS:
            found.append(node.value)
        label = getattr(node, "label", None)
        if isinstance(label, str):
            found.append(label)
        if node.type in ("radio", "button_group"):
            found += [str(option) for option in node.options]
    return found


def plain_sources(app) -> list[str]:
    """Strings shown as they are: st.text, st.code and every dataframe cell."""
    found = [node.value for node in app._tree if node.type in ("text", "code")]
    for frame in app.dataframe:
        found += [str(cell) for cell in frame.value.to_numpy().ravel()]
    return found


def assert_page_shows_as_typed(app, typed: str) -> None:
    """Nothing on the page renders as a link, image or HTML, and `typed` is somewhere, character for character."""
    assert not app.exception, app.exception
    sources = markdown_sources(app)
    for source in sources:
        assert_inert(source)
    texts = [seen(rendered_text(source)) for source in sources] + plain_sources(app)
    assert any(typed in text for text in texts), f"{typed!r} is not on the page"
