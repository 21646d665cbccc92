"""What the home page shows: real counts from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from audit.store import Database
from audit.store.overview import home_counts


@dataclass(frozen=True)
class HomeFigures:
    inspections: int
    findings: int
    open: int
    overdue: int


def home_figures(database: Database, today: date | None = None, unit: str | None = None) -> HomeFigures:
    """Counts for everyone, or only a unit's own findings when `unit` is given."""
    with database.read() as cursor:
        return HomeFigures(**home_counts(cursor, today or date.today(), unit))
