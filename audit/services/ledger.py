"""Reading the ledger: a page of findings, the filter choices, one finding's whole story, and exports.

A unit account only ever sees its own unit's findings: the scope is applied here, to
every read, whatever filter the page sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import BinaryIO

from audit import i18n
from audit.errors import InvalidInput, NotFound
from audit.exports import columns
from audit.model import ExportProgress, ExportStage, Finding, FindingFilter, LedgerRow, Status, User
from audit.services.permissions import Permission, can, require, scoped, unit_scope
from audit.services.rectification import Step, allowed_steps, check_scope, in_scope
from audit.store import audit_log
from audit.store import ledger as store
from audit.store.db import Database
from audit.store.findings import events_of_finding, get_finding
from audit.store.photos import PhotoLink, photo_bytes, photos_of_finding

PAGE_SIZES = (25, 50, 100)
SORT_KEYS = tuple(store.SORTS)


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    page: int  # 1-based, clamped to the pages there are
    pages: int
    page_size: int


def ledger_page(
    database: Database,
    actor: User,
    flt: FindingFilter,
    *,
    page: int = 1,
    page_size: int = 50,
    sort: str = "deadline",
    descending: bool = False,
    language: str = i18n.DEFAULT_LANGUAGE,
    today: date | None = None,
) -> LedgerPage:
    actor = require(actor, Permission.VIEW_LEDGER, database)
    flt, today = scoped(actor, flt), today or date.today()
    with database.read() as cursor:
        rows, total, page = store.ledger_slice(
            cursor, flt, today, language=language, sort=sort, descending=descending, page=page, page_size=page_size
        )
    return LedgerPage(rows, total, page, max(1, math.ceil(total / page_size)), page_size)


def filter_options(
    database: Database, actor: User, language: str = i18n.DEFAULT_LANGUAGE
) -> dict[str, list[tuple[str, str]]]:
    actor = require(actor, Permission.VIEW_LEDGER, database)
    with database.read() as cursor:
        return store.filter_options(cursor, language, unit_scope(actor))


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str  # a finding event ('fix_reported', ...) or an audit-log action ('finding.recorded', ...)
    from_status: str | None = None
    to_status: str | None = None
    note: str = ""
    changes: dict | None = None  # field -> (before, after), from the audit log
    photos: tuple[str, ...] = ()  # sha256 of photos added by this step


@dataclass(frozen=True)
class FindingDetail:
    finding: Finding
    site: dict | None
    checklist: str | None
    item: str | None
    photos: list[PhotoLink]
    timeline: list[TimelineEntry]
    steps: list[Step]
    names: dict[str, str]  # username -> display name, for everyone named on the page

    def name(self, username: str | None) -> str:
        return self.names.get(username or "", username or "")


def _local(utc: datetime) -> datetime:
    # The audit log is kept in UTC; finding events, like the finding itself, in local time.
    return utc.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def _changes(entry: dict) -> dict:
    before, after = entry["before"] or {}, entry["after"] or {}
    skip = {"event", "note", "photos", "version"}
    return {
        key: (before.get(key), after.get(key)) for key in after if key not in skip and before.get(key) != after.get(key)
    }


def _timeline(events: list[dict], entries: list[dict], photos: list[PhotoLink]) -> list[TimelineEntry]:
    """Every finding event, with the audit-log entry that recorded it, plus audit entries without an event."""
    by_event = {(entry["after"] or {}).get("event"): entry for entry in entries}
    timeline = []
    for event in events:
        entry = by_event.pop(event["id"], None)
        timeline.append(
            TimelineEntry(
                event["happened_at"],
                event["actor"],
                event["action"],
                event["from_status"],
                event["to_status"],
                event["note"],
                _changes(entry) if entry else None,
                tuple(p.sha256 for p in photos if p.event_id == event["id"]),
            )
        )
    for entry in by_event.values():
        timeline.append(
            TimelineEntry(
                _local(entry["at"]),
                entry["actor"],
                entry["action"],
                note=(entry["after"] or {}).get("note", ""),
                changes=_changes(entry),
            )
        )
    return sorted(timeline, key=lambda item: item.at)


def _measure_entries(cursor, finding_id: str, language: str) -> list[TimelineEntry]:
    from audit.services.accountability import kind_name
    from audit.store.accountability import measures

    return [
        TimelineEntry(
            datetime.combine(m.decided_on, datetime.min.time()),
            m.recorded_by,
            "measure",
            note=" · ".join(
                part for part in (kind_name(m.kind, language), m.person or m.unit, m.decided_by, m.basis) if part
            ),
        )
        for m in measures(cursor, finding_id=finding_id)
    ]


def finding_detail(
    database: Database, actor: User, finding_id: str, language: str = i18n.DEFAULT_LANGUAGE
) -> FindingDetail:
    actor = require(actor, Permission.VIEW_LEDGER, database)
    with database.read() as cursor:
        finding = get_finding(cursor, finding_id)
        if finding is None:
            raise NotFound("ledger.error.not_found", field="id")
        check_scope(actor, finding)
        photos = photos_of_finding(cursor, finding_id)
        timeline = _timeline(
            events_of_finding(cursor, finding_id), audit_log.history(cursor, "finding", finding_id), photos
        )
        if can(actor, Permission.VIEW_MEASURES):  # measures are addressed to the finding's own unit
            timeline = sorted(timeline + _measure_entries(cursor, finding_id, language), key=lambda item: item.at)
        checklist, item = store.checklist_words(cursor, finding_id, language)
        people = [
            finding.inspector,
            finding.reported_by,
            finding.verifier,
            finding.updated_by,
            *(entry.actor for entry in timeline),
        ]
        return FindingDetail(
            finding,
            store.site_of(cursor, finding.site_id, language),
            checklist,
            item,
            photos,
            timeline,
            allowed_steps(actor, finding),
            store.display_names(cursor, [p for p in people if p]),
        )


def photo(database: Database, actor: User, finding_id: str, sha256: str, *, thumbnail: bool) -> bytes:
    """A photo of a finding this person may see."""
    actor = require(actor, Permission.VIEW_LEDGER, database)
    with database.read() as cursor:
        finding = get_finding(cursor, finding_id)
        if (
            finding is None
            or not in_scope(actor, finding)
            or sha256 not in {p.sha256 for p in photos_of_finding(cursor, finding_id)}
        ):
            raise NotFound("ledger.error.photo_not_here", field="photo")
        return photo_bytes(cursor, sha256, thumbnail=thumbnail)


# --- exports: exactly what the filters show --------------------------------------------

FORMATS = ("xlsx", "csv", "pdf")
EXPORT_BATCH = 2_000  # rows handed from DuckDB to a writer at a time (10,000 cost 100 MB more at the peak, no time)
XLSX_ROWS = 1_048_575  # an Excel sheet's rows, less the heading row


def export_progress(done: int, total: int, stage: ExportStage, language: str) -> tuple[float, str]:
    """How full an export's progress bar is and what it says, in the app and on the command line.

    The bar is full only once the file is complete (DONE); while the file is being finished it
    stays just short, saying so, however long the finishing takes.
    """
    if stage is ExportStage.DONE:
        return 1.0, i18n.t("ledger.export.done", language, total=f"{total:,}")
    if stage is ExportStage.FINISHING:
        return 0.99, i18n.t("ledger.export.finishing", language, total=f"{done:,}")
    fraction = min(done / max(total, 1), 0.99)
    return fraction, i18n.t("ledger.export.progress", language, done=f"{done:,}", total=f"{total:,}")


def export_ledger(
    database: Database,
    actor: User,
    flt: FindingFilter,
    fmt: str,
    out: BinaryIO | str,
    *,
    language: str = i18n.DEFAULT_LANGUAGE,
    sort: str = "number",
    descending: bool = False,
    today: date | None = None,
    progress: ExportProgress | None = None,
) -> int:
    """Write the filtered ledger as xlsx or csv (returns rows), or notices as pdf (returns units)."""
    actor = require(actor, Permission.EXPORT, database)
    if fmt not in FORMATS:
        raise InvalidInput("ledger.error.export_format", field="format", formats=", ".join(FORMATS), format=fmt)
    flt, today = scoped(actor, flt), today or date.today()
    with database.one_thread():
        if fmt == "pdf":
            return _export_notices(database, flt, out, language=language, today=today, progress=progress)
        return _export_rows(
            database, flt, fmt, out, language=language, sort=sort, descending=descending, today=today, progress=progress
        )


def _export_rows(
    database: Database,
    flt: FindingFilter,
    fmt: str,
    out: BinaryIO | str,
    *,
    language: str,
    sort: str,
    descending: bool,
    today: date,
    progress: ExportProgress | None,
) -> int:
    headings = columns.headings(language)
    with database.read(snapshot=True) as cursor:  # the workbook's extent is the count: of the same rows
        total, batches = store.export_rows(
            cursor,
            flt,
            today,
            language=language,
            fields=columns.FIELDS,
            labels=columns.labels(language),
            sort=sort,
            descending=descending,
            batch_rows=EXPORT_BATCH,
        )
        # Each writer's library is loaded when it is used: a CSV needs neither Excel's nor the PDF's.
        if fmt == "csv":
            from audit.exports.csv_export import write_csv

            return write_csv(batches, headings, out, total=total, progress=progress)
        if total > XLSX_ROWS:
            raise InvalidInput("ledger.error.xlsx_rows", field="format", count=f"{total:,}", limit=f"{XLSX_ROWS:,}")
        from audit.exports.xlsx_export import write_xlsx

        return write_xlsx(
            batches, headings, out, sheet_name=i18n.t("ledger.sheet", language), total=total, progress=progress
        )


def _export_notices(
    database: Database, flt: FindingFilter, out, *, language: str, today: date, progress: ExportProgress | None
) -> int:
    from audit.exports.pdf_notice import NOTICE_FIELDS, NoticeLine, write_notices

    open_statuses = tuple(s for s in (flt.statuses or tuple(Status)) if s.is_open)
    with database.read() as cursor:
        result = None
        if open_statuses:
            result = store.export_query(
                cursor,
                replace(flt, statuses=open_statuses),
                today,
                language=language,
                fields=NOTICE_FIELDS,
                labels=columns.labels(language),
                sort="unit",
            )
        lines = [NoticeLine(*row) for row in result.fetchall()] if result else []
    if not lines:
        raise InvalidInput("ledger.error.no_notice", field="status")
    return write_notices(lines, out, language=language, progress=progress)
