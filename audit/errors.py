"""Errors a user may see: each carries a catalog key and its values, never a stack trace.

`AuditError(key, field=..., **values)` names its text in `audit/locales/<lang>/*.yaml`; the
pages render it with `audit.ui.errors.show_error` in the page's language, the CLI prints
`str(error)` (English). Every class has a title (`error.title.<name>`) shown above the text.
A value that must itself be said in the reader's language (a field's label, a status) is a
`Key`; a value that is another `AuditError` is said in full. Anything that is not an
`AuditError` is a bug.
"""

from __future__ import annotations

from audit import i18n


class Key(str):
    """A value that is itself a catalog key, said in the reader's language."""


class AuditError(Exception):
    """The base of every error meant for a user; `key` is a catalog key, `values` fill it in."""

    title_key = "error.title.error"

    def __init__(self, key: str, /, *, field: str | None = None, **values):
        super().__init__(key)
        self.key = key
        self.values = values
        self.field = field

    def text(self, language: str = "en") -> str:
        return i18n.t(self.key, language, **{name: _said(value, language) for name, value in self.values.items()})

    def title(self, language: str = "en") -> str:
        return i18n.t(self.title_key, language)

    @property
    def message(self) -> str:
        """The English text, for the command line and logs."""
        return self.text("en")

    def __str__(self) -> str:
        return self.message


def _said(value, language: str):
    if isinstance(value, Key):
        return i18n.t(value, language)
    if isinstance(value, AuditError):
        return value.text(language)
    return value


class InvalidInput(AuditError):
    """A field holds what it may not; the text names the field and what to do."""

    title_key = "error.title.invalid_input"


class NotFound(AuditError):
    title_key = "error.title.not_found"


class PermissionDenied(AuditError):
    title_key = "error.title.permission_denied"


class Conflict(AuditError):
    """Somebody else saved a newer version first."""

    title_key = "error.title.conflict"


class IllegalTransition(AuditError):
    title_key = "error.title.illegal_transition"


class StoreUnavailable(AuditError):
    """The database cannot be opened or written; `reason` is locked, read_only, disk_full or failed."""

    title_key = "error.title.store_unavailable"

    def __init__(self, key: str, /, *, reason: str = "failed", field: str | None = None, **values):
        super().__init__(key, field=field, **values)
        self.reason = reason
