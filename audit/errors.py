"""Errors a user may see: each carries a catalog key and its values, never a stack trace.

`AuditError(key, field=..., **values)` names its text in `audit/locales/<lang>/*.yaml`; the
pages render it with `audit.ui.errors.show_error` in the page's language, the CLI prints
`str(error)` (English). Every class has a title (`error.title.<name>`) shown above the text.
Anything that is not an `AuditError` is a bug.
"""

from __future__ import annotations

from audit import i18n


class AuditError(Exception):
    """The base of every error meant for a user; `key` is a catalog key, `values` fill it in."""

    title_key = "error.title.error"

    def __init__(self, key: str, /, *, field: str | None = None, **values):
        super().__init__(key)
        self.key = key
        self.values = values
        self.field = field

    def text(self, language: str = "en") -> str:
        return i18n.t(self.key, language, **self.values)

    def title(self, language: str = "en") -> str:
        return i18n.t(self.title_key, language)

    @property
    def message(self) -> str:
        """The English text, for the command line and logs."""
        return self.text("en")

    def __str__(self) -> str:
        return self.message


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
    """The database cannot be opened or written: locked, read-only, disk full.

    `reason` (locked, read_only, disk_full, failed) picks the text `store.error.<reason>`.
    """

    title_key = "error.title.store_unavailable"

    def __init__(self, key: str | None = None, /, *, reason: str = "failed", field: str | None = None, **values):
        super().__init__(key or f"store.error.{reason}", field=field, **values)
        self.reason = reason
