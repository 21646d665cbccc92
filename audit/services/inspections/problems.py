"""Limits on what may be typed, and the messages that name the field and say what to do."""

from __future__ import annotations

from datetime import timedelta

from audit import i18n
from audit.errors import InvalidInput
from audit.model import REPEAT_WINDOW_DAYS
from audit.services.limits import LIMITS, MAX_PHOTOS  # noqa: F401  (read from here by forms and pages)

CLOCK_SKEW = timedelta(minutes=5)
"""A tablet's clock may run a little ahead of the server's; more than this is a mistake."""
REPEAT_WINDOW = timedelta(days=REPEAT_WINDOW_DAYS)
MAX_INSPECTORS = 10
FORM_FIELDS = (
    "description", "severity", "immediate_measure", "responsible_unit", "responsible_person",
    "requirement", "deadline",
)


class FieldProblem(InvalidInput):
    """Bad input on one field, worded from the catalog so a page can show it in its own language."""

    def __init__(self, field: str, reason: str, **values):
        super().__init__(f"inspect.error.{reason}", field=field, **values)

    def text(self, language: str = "en") -> str:
        return self.localized(language)

    def localized(self, language: str) -> str:
        label = i18n.t(f"inspect.field.{self.field}", language)
        values = {name: value.localized(language) if isinstance(value, FieldProblem) else value
                  for name, value in self.values.items()}
        return i18n.t(self.key, language, label=label, **values)


def message(error: Exception, language: str) -> str:
    """What to show for an AuditError in the reader's language."""
    if isinstance(error, FieldProblem):
        return error.localized(language)
    text = getattr(error, "message", str(error))
    if getattr(error, "field", None) == "photo":
        return i18n.t("inspect.error.photo", language, detail=text)
    return text


def check_text(name: str, value: str, *, required: bool) -> None:
    if required and not value.strip():
        raise FieldProblem(name, "required")
    if len(value) > LIMITS[name]:
        raise FieldProblem(name, "too_long", limit=LIMITS[name], length=len(value))
