"""Errors a user may see: each carries a plain message, never a stack trace.

The pages catch `AuditError` and show its message; everything else is a bug.
"""

from __future__ import annotations


class AuditError(Exception):
    title = "Error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(AuditError):
    """A field holds what it may not; the message names the field and what to do."""

    title = "Invalid input"


class NotFound(AuditError):
    title = "Not found"


class PermissionDenied(AuditError):
    title = "Not allowed"


class Conflict(AuditError):
    """Somebody else saved a newer version first."""

    title = "Changed by someone else"


class IllegalTransition(AuditError):
    title = "Not possible in this state"


class StoreUnavailable(AuditError):
    """The database cannot be opened or written: locked, read-only, disk full.

    `reason` (locked, read_only, disk_full, failed) lets a page say it in the user's language.
    """

    title = "Database unavailable"

    def __init__(self, message: str, *, field: str | None = None, reason: str = "failed"):
        super().__init__(message, field=field)
        self.reason = reason
