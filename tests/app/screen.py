"""What a reader sees in an alert drawn by audit.ui.errors.show_error: its title and its text."""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _seen(element) -> tuple[str, str]:
    title, _, text = _ESCAPED.sub(r"\1", element.value).partition("  \n")
    return title.removeprefix("**").removesuffix("**"), text.replace("  \n", "\n")


def error_title(element) -> str:
    return _seen(element)[0]


def error_text(element) -> str:
    return _seen(element)[1]
