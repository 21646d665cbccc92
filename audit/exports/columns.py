"""The ledger's columns, shared by every export and by the import: order, headings, widths, kinds.

The order and the words follow the rectification ledger (整改台账) district offices keep in
Excel: number, date found, site, checklist and item, what was found, severity, responsible unit
and person, requirement, deadline, status, what was done, date closed, inspector, verifier.
Headings come from the catalogs so a sheet is in the language of the person exporting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit import i18n
from audit.model import Severity, Status


@dataclass(frozen=True)
class Column:
    field: str
    width: float  # in Excel character widths; a Chinese character counts about two
    kind: str = "text"  # text | long (wrapped) | date | datetime


LEDGER_COLUMNS = (
    Column("number", 11),
    Column("finding_id", 14),
    Column("found_at", 17, "datetime"),
    Column("site", 20, "long"),
    Column("site_unit", 18, "long"),
    Column("checklist", 18, "long"),
    Column("item", 30, "long"),
    Column("description", 40, "long"),
    Column("severity", 9),
    Column("responsible_unit", 18, "long"),
    Column("responsible_person", 10),
    Column("requirement", 32, "long"),
    Column("deadline", 12, "date"),
    Column("status", 12),
    Column("fix_report", 36, "long"),
    Column("closed_on", 12, "date"),
    Column("inspector", 10),
    Column("verifier", 10),
)
FIELDS = tuple(column.field for column in LEDGER_COLUMNS)


def heading(field: str, language: str) -> str:
    return i18n.t(f"ledger.column.{field}", language)


def headings(language: str) -> list[str]:
    return [heading(field, language) for field in FIELDS]


def labels(language: str) -> dict[str, str]:
    """Words for statuses and severities, keyed 'status.open', 'severity.major', ..."""
    words = {f"status.{s.value}": i18n.t(f"ledger.status.{s.value}", language) for s in Status}
    return words | {f"severity.{s.value}": i18n.t(f"ledger.severity.{s.value}", language) for s in Severity}
