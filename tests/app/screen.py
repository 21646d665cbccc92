"""What a reader sees in an alert drawn by audit.ui.errors.show_error: its title and its text."""

from __future__ import annotations

from tests.markdown import shown


def _seen(element) -> tuple[str, str]:
    title, _, text = shown(element.value).partition("  \n")
    return title.removeprefix("**").removesuffix("**"), text.replace("  \n", "\n")


def error_title(element) -> str:
    return _seen(element)[0]


def error_text(element) -> str:
    return _seen(element)[1]
