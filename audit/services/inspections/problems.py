"""Limits on what may be typed, and the messages that name the field and say what to do."""

from __future__ import annotations

from datetime import timedelta

from audit.errors import InvalidInput, Key
from audit.model import REPEAT_WINDOW_DAYS
from audit.services.limits import LIMITS, MAX_PHOTOS  # noqa: F401  (read from here by forms and pages)

CLOCK_SKEW = timedelta(minutes=5)
"""A tablet's clock may run a little ahead of the server's; more than this is a mistake."""
REPEAT_WINDOW = timedelta(days=REPEAT_WINDOW_DAYS)
MAX_INSPECTORS = 10
FORM_FIELDS = (
    "description",
    "severity",
    "immediate_measure",
    "responsible_unit",
    "responsible_person",
    "requirement",
    "deadline",
)


def label(field: str) -> Key:
    """The field's name on the inspection forms, said in the reader's language."""
    return Key(f"inspect.field.{field}")


def check_text(name: str, value: str, *, required: bool) -> None:
    if required and not value.strip():
        raise InvalidInput("inspect.error.required", field=name, label=label(name))
    if len(value) > LIMITS[name]:
        raise InvalidInput(
            "inspect.error.too_long", field=name, label=label(name), limit=LIMITS[name], length=len(value)
        )
