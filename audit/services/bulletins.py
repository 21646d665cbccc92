"""督查通报: draft a bulletin from the ledger, edit it, issue it numbered and frozen.

A draft is counted afresh from the store whenever its period or scope is chosen; what the
supervisor writes (summary, requirements, signature) and the typical cases chosen are kept
with it. Issuing takes the next number of the year and kind, stores the content with its
SHA-256, and writes that hash into the audit log, so a changed bulletin is found by
`verify_bulletin`. A correction is a new bulletin that names the one it corrects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from datetime import date, datetime

from audit import i18n
from audit.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from audit.model import (
    MAX_TYPICAL_CASES,
    Bulletin,
    BulletinFigures,
    BulletinKind,
    BulletinStatus,
    MeasureLine,
    ProblemCount,
    Role,
    TypicalCase,
    UnitCount,
    User,
    new_id,
)
from audit.services.accountability import kind_name
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log
from audit.store import bulletins as store
from audit.store import checklists as checklist_store

MAX_PERIOD_DAYS = 366
MAX_TEXT = 5000
ENTITY = "bulletin"


# --- Drafting -----------------------------------------------------------------------------


def _check_period(period_from: date, period_to: date) -> None:
    if period_to < period_from:
        raise InvalidInput(
            "bulletin.error.period_order",
            field="period_to",
            start=f"{period_from:%Y-%m-%d}",
            end=f"{period_to:%Y-%m-%d}",
        )
    if (period_to - period_from).days >= MAX_PERIOD_DAYS:
        raise InvalidInput("bulletin.error.period_long", field="period_from", days=MAX_PERIOD_DAYS)


def _problems(
    cursor, period_from: date, period_to: date, subdistrict: str | None, language: str
) -> tuple[ProblemCount, ...]:
    sections: dict[tuple[str, str], tuple[str, str]] = {}
    for checklist in checklist_store.latest(cursor):
        for section in checklist.sections:
            for item in section.items:
                sections[(checklist.id, item.id)] = (checklist.title.get(language), section.title.get(language))
    other = i18n.t("bulletin.problems.other", language)
    totals: dict[tuple[str, str], int] = {}
    for checklist_id, item_id, written, count in store.findings_by_item(cursor, period_from, period_to, subdistrict):
        key = sections.get((checklist_id, item_id)) or (written or checklist_id or other, other)
        totals[key] = totals.get(key, 0) + count
    ordered = sorted(totals.items(), key=lambda entry: (-entry[1], entry[0]))
    return tuple(ProblemCount(checklist, section, count) for (checklist, section), count in ordered)


def _figures(
    cursor, period_from: date, period_to: date, subdistrict: str | None, as_of: date, language: str
) -> BulletinFigures:
    inspections, sites = store.inspection_counts(cursor, period_from, period_to, subdistrict)
    counts = store.finding_counts(cursor, period_from, period_to, subdistrict, as_of)
    due = store.sites_due(cursor, period_from, period_to, subdistrict)
    return BulletinFigures(
        inspections=inspections,
        sites_inspected=sites,
        sites_due=due or None,
        **counts,
        by_subdistrict=tuple(
            UnitCount(name, n)
            for name, n in store.findings_by_subdistrict(cursor, period_from, period_to, subdistrict, language)
        ),
        by_day=tuple(store.findings_by_day(cursor, period_from, period_to, subdistrict)),
    )


def period_text(period_from: date, period_to: date, language: str) -> str:
    if period_from == period_to:
        return i18n.t("bulletin.period.day", language, day=_day(period_from, language))
    return i18n.t("bulletin.period.range", language, start=_day(period_from, language), end=_day(period_to, language))


def _day(day: date, language: str) -> str:
    return f"{day:%Y-%m-%d}" if language == "en" else f"{day.year}年{day.month}月{day.day}日"


def default_summary(figures: BulletinFigures, period_from: date, period_to: date, language: str) -> str:
    """The summary paragraph, worded from the figures; an empty period says so."""
    period = period_text(period_from, period_to, language)
    if figures.inspections == 0 and figures.findings == 0:
        return i18n.t("bulletin.summary.empty", language, period=period)
    due = i18n.t("bulletin.summary.due", language, due=figures.sites_due) if figures.sites_due is not None else ""
    return i18n.t(
        "bulletin.summary.text",
        language,
        period=period,
        inspections=figures.inspections,
        sites=figures.sites_inspected,
        due=due,
        findings=figures.findings,
        critical=figures.by_severity["critical"],
        major=figures.by_severity["major"],
        minor=figures.by_severity["minor"],
        closed=figures.closed,
        overdue=figures.overdue,
    )


def draft_bulletin(
    database: Database,
    actor: User,
    *,
    kind: BulletinKind | str,
    period_from: date,
    period_to: date,
    subdistrict: str | None = None,
    language: str = i18n.DEFAULT_LANGUAGE,
    today: date,
) -> Bulletin:
    """A new draft counted from the store; nothing is saved until `save_draft`."""
    actor = require(actor, Permission.DRAFT_BULLETIN, database)
    kind = _kind(kind)
    _check_period(period_from, period_to)
    language = i18n.language_for(language)
    subdistrict = (subdistrict or "").strip() or None
    from audit.services.plans import ensure_tasks

    ensure_tasks(database, min(period_to, today), now=datetime.now())  # the plans' visits due in the period
    with database.read() as cursor:
        if subdistrict is not None and not store.subdistrict_exists(cursor, subdistrict):
            raise InvalidInput("bulletin.error.subdistrict", field="subdistrict", name=subdistrict)
        figures = _figures(cursor, period_from, period_to, subdistrict, today, language)
        problems = _problems(cursor, period_from, period_to, subdistrict, language)
        late = tuple(UnitCount(unit, n) for unit, n in store.overdue_units(cursor, period_to, subdistrict, today))
        measures = tuple(
            MeasureLine(day, kind_name(kind, language), unit, person)
            for day, kind, unit, person in store.measures_decided(cursor, period_from, period_to, subdistrict)
        )
    return Bulletin(
        id=new_id(),
        kind=kind,
        period_from=period_from,
        period_to=period_to,
        subdistrict=subdistrict,
        language=language,
        as_of=today,
        figures=figures,
        problems=problems,
        overdue_units=late,
        cases=(),
        summary=default_summary(figures, period_from, period_to, language),
        requirements=i18n.t("bulletin.requirements.default", language),
        signature=i18n.t("bulletin.signature.default", language),
        created_by=actor.username,
        measures=measures,
    )


def _kind(kind: BulletinKind | str) -> BulletinKind:
    try:
        return BulletinKind(kind)
    except ValueError:
        raise InvalidInput(
            "bulletin.error.kind", field="kind", kind=str(kind), kinds=", ".join(k.value for k in BulletinKind)
        ) from None


def case_choices(database: Database, actor: User, bulletin: Bulletin) -> list[tuple[str, str]]:
    """(finding id, label) of the period's findings, to choose typical cases from."""
    actor = require(actor, Permission.DRAFT_BULLETIN, database)
    with database.read() as cursor:
        rows = store.case_choices(
            cursor, bulletin.period_from, bulletin.period_to, bulletin.subdistrict, bulletin.language
        )
    return [
        (
            row[0],
            f"{row[1]} · {row[2]} · {i18n.t(f'ledger.severity.{row[3]}', bulletin.language)} · {_clip(row[4], 40)}",
        )
        for row in rows
    ]


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _cases(cursor, bulletin: Bulletin, finding_ids: list[str]) -> tuple[TypicalCase, ...]:
    finding_ids = list(dict.fromkeys(finding_ids))
    if len(finding_ids) > MAX_TYPICAL_CASES:
        raise InvalidInput(
            "bulletin.error.too_many_cases", field="cases", count=len(finding_ids), most=MAX_TYPICAL_CASES
        )
    allowed = {
        row[0]
        for row in store.case_choices(
            cursor, bulletin.period_from, bulletin.period_to, bulletin.subdistrict, bulletin.language, limit=1_000_000
        )
    }
    outside = [finding_id for finding_id in finding_ids if finding_id not in allowed]
    if outside:
        raise InvalidInput("bulletin.error.case_outside", field="cases", count=len(outside))
    return tuple(TypicalCase(*row) for row in store.case_details(cursor, finding_ids, bulletin.language))


def _text(value: str, field: str) -> str:
    if len(value) > MAX_TEXT:
        raise InvalidInput("bulletin.error.too_long", field=field, length=len(value), most=MAX_TEXT)
    return value


# --- Saving, issuing, correcting ------------------------------------------------------------


def content_of(bulletin: Bulletin) -> dict:
    """What is frozen and hashed: everything the documents print, nothing about who saved when."""
    record = asdict(bulletin)
    for name in ("id", "status", "year", "number", "content_hash", "created_by", "issued_by", "issued_at", "version"):
        record.pop(name)
    return json.loads(json.dumps(record, ensure_ascii=False, default=str))


def content_hash(content: dict) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@unit_of_work
def save_draft(
    database: Database,
    actor: User,
    bulletin: Bulletin,
    *,
    case_ids: list[str],
    summary: str,
    requirements: str,
    signature: str,
    now: datetime,
) -> Bulletin:
    """Create the draft, or save over it when it is still the version the editor saw."""
    actor = require(actor, Permission.DRAFT_BULLETIN, database)
    if bulletin.status is not BulletinStatus.DRAFT:
        raise IllegalTransition("bulletin.error.issued_frozen", number=label(bulletin))
    with database.write() as cursor:
        edited = replace(
            bulletin,
            cases=_cases(cursor, bulletin, case_ids),
            summary=_text(summary, "summary"),
            requirements=_text(requirements, "requirements"),
            signature=_text(signature, "signature"),
        )
        units = list(edited.units_named)
        stored = store.get_bulletin(cursor, bulletin.id)
        if stored is None:
            store.insert_bulletin(
                cursor,
                {
                    "id": edited.id,
                    "kind": edited.kind.value,
                    "status": "draft",
                    "year": None,
                    "number": None,
                    "period_from": edited.period_from,
                    "period_to": edited.period_to,
                    "subdistrict": edited.subdistrict,
                    "language": edited.language,
                    "content": content_of(edited),
                    "content_hash": None,
                    "units": units,
                    "corrects": edited.corrects,
                    "created_by": actor.username,
                    "created_at": now,
                    "issued_by": None,
                    "issued_at": None,
                    "version": 1,
                    "updated_at": now,
                    "updated_by": actor.username,
                },
            )
            audit_log.append(
                cursor,
                actor=actor.username,
                action="bulletin.drafted",
                entity=ENTITY,
                entity_id=edited.id,
                after=_log_view(edited),
            )
            return replace(edited, version=1)
        if stored["status"] != "draft":
            raise IllegalTransition("bulletin.error.issued_frozen", number=label(_from_row(stored)))
        if not store.update_draft(cursor, edited.id, bulletin.version, content_of(edited), units, now, actor.username):
            raise Conflict("bulletin.error.changed", by=stored["updated_by"] or stored["created_by"])
        audit_log.append(
            cursor,
            actor=actor.username,
            action="bulletin.edited",
            entity=ENTITY,
            entity_id=edited.id,
            after=_log_view(edited),
        )
    return replace(edited, version=bulletin.version + 1)


def _log_view(bulletin: Bulletin) -> dict:
    return {
        "kind": bulletin.kind.value,
        "period_from": str(bulletin.period_from),
        "period_to": str(bulletin.period_to),
        "subdistrict": bulletin.subdistrict,
        "cases": [case.number for case in bulletin.cases],
        "corrects": bulletin.corrects,
    }


@unit_of_work
def issue_bulletin(database: Database, actor: User, bulletin_id: str, version: int, *, now: datetime) -> Bulletin:
    """Take the next number of the year and kind, freeze the content and log its hash."""
    actor = require(actor, Permission.DRAFT_BULLETIN, database)
    with database.write() as cursor:
        stored = store.get_bulletin(cursor, bulletin_id)
        if stored is None:
            raise NotFound("bulletin.error.not_found")
        draft = _from_row(stored)
        if draft.status is BulletinStatus.ISSUED:
            raise IllegalTransition("bulletin.error.issued_frozen", number=label(draft))
        if draft.version != version:
            raise Conflict("bulletin.error.changed", by=stored["updated_by"] or stored["created_by"])
        number = store.next_number(cursor, now.year, draft.kind.value)
        content = content_of(draft)
        digest = content_hash(content)
        if not store.mark_issued(
            cursor,
            bulletin_id,
            version,
            year=now.year,
            number=number,
            content=content,
            content_hash=digest,
            now=now,
            by=actor.username,
        ):
            raise Conflict("bulletin.error.changed", by=stored["updated_by"] or stored["created_by"])
        issued = replace(
            draft,
            status=BulletinStatus.ISSUED,
            year=now.year,
            number=number,
            content_hash=digest,
            issued_by=actor.username,
            issued_at=now,
            version=version + 1,
        )
        audit_log.append(
            cursor,
            actor=actor.username,
            action="bulletin.issued",
            entity=ENTITY,
            entity_id=bulletin_id,
            after={**_log_view(issued), "year": now.year, "number": number, "content_hash": digest},
        )
    return issued


def start_correction(database: Database, actor: User, issued_id: str, *, today: date) -> Bulletin:
    """A new draft with the corrected bulletin's content, naming the one it corrects."""
    issued = open_bulletin(database, actor, issued_id)
    actor = require(actor, Permission.DRAFT_BULLETIN, database)
    if issued.status is not BulletinStatus.ISSUED:
        raise IllegalTransition("bulletin.error.correct_draft")
    return replace(
        issued,
        id=new_id(),
        status=BulletinStatus.DRAFT,
        year=None,
        number=None,
        content_hash=None,
        issued_by=None,
        issued_at=None,
        version=1,
        corrects=issued.id,
        corrects_label=label(issued),
        as_of=today,
        created_by=actor.username,
    )


# --- Reading --------------------------------------------------------------------------------


def _from_row(row: dict) -> Bulletin:
    content = row["content"]
    figures = content["figures"]
    return Bulletin(
        id=row["id"],
        kind=BulletinKind(row["kind"]),
        period_from=date.fromisoformat(content["period_from"]),
        period_to=date.fromisoformat(content["period_to"]),
        subdistrict=content["subdistrict"],
        language=content["language"],
        as_of=date.fromisoformat(content["as_of"]),
        figures=BulletinFigures(
            **{
                **figures,
                "by_subdistrict": tuple(UnitCount(**entry) for entry in figures["by_subdistrict"]),
                "by_day": tuple((date.fromisoformat(day), n) for day, n in figures["by_day"]),
            }
        ),
        problems=tuple(ProblemCount(**entry) for entry in content["problems"]),
        overdue_units=tuple(UnitCount(**entry) for entry in content["overdue_units"]),
        cases=tuple(TypicalCase(**entry) for entry in content["cases"]),
        summary=content["summary"],
        requirements=content["requirements"],
        signature=content["signature"],
        status=BulletinStatus(row["status"]),
        year=row["year"],
        number=row["number"],
        corrects=row["corrects"],
        corrects_label=content.get("corrects_label"),
        content_hash=row["content_hash"],
        measures=tuple(
            MeasureLine(**{**entry, "decided_on": date.fromisoformat(entry["decided_on"])})
            for entry in content.get("measures", ())
        ),
        created_by=row["created_by"],
        issued_by=row["issued_by"],
        issued_at=row["issued_at"],
        version=row["version"],
    )


def _visible(actor: User, row: dict) -> bool:
    if actor.role is Role.UNIT:
        return row["status"] == "issued" and bool(actor.unit) and actor.unit in row["units"]
    return True


def open_bulletin(database: Database, actor: User, bulletin_id: str) -> Bulletin:
    """Supervisors and admins open any bulletin; a unit only an issued one that names it."""
    actor = require(actor, Permission.VIEW_BULLETINS, database)
    with database.read() as cursor:
        row = store.get_bulletin(cursor, bulletin_id)
    if row is None or not _visible(actor, row):
        raise NotFound("bulletin.error.not_found")
    return _from_row(row)


def bulletins(database: Database, actor: User, *, status: BulletinStatus | None = None) -> list[Bulletin]:
    actor = require(actor, Permission.VIEW_BULLETINS, database)
    unit = actor.unit if actor.role is Role.UNIT else None
    if actor.role is Role.UNIT:
        if not unit:
            return []
        status = BulletinStatus.ISSUED
    with database.read() as cursor:
        rows = store.list_bulletins(cursor, unit=unit, status=status.value if status else None)
    return [_from_row(row) for row in rows if _visible(actor, row)]


def verify_bulletin(database: Database, bulletin_id: str) -> bool:
    """True when the stored content still hashes to the hash stored and logged at issue."""
    with database.read() as cursor:
        row = store.get_bulletin(cursor, bulletin_id)
        logged = store.issue_logged(cursor, bulletin_id)
    if row is None or row["status"] != "issued" or logged is None:
        return False
    digest = content_hash(row["content"])
    return digest == row["content_hash"] == logged.get("content_hash")


def label(bulletin: Bulletin) -> str:
    """第3期（日报）/ No. 3 (daily), or the draft's name."""
    kind = i18n.t(f"bulletin.kind.{bulletin.kind.value}", bulletin.language)
    if bulletin.number is None:
        return i18n.t("bulletin.label.draft", bulletin.language, kind=kind)
    return i18n.t("bulletin.label.issued", bulletin.language, kind=kind, year=bulletin.year, number=bulletin.number)


def title(bulletin: Bulletin, district: str) -> str:
    scope = bulletin.subdistrict or district
    return i18n.t("bulletin.title", bulletin.language, scope=scope)


def photo(database: Database, sha256: str) -> bytes | None:
    """A typical case's photo, or None when it is no longer stored (the document notes its absence)."""
    from audit.store.photos import photo_bytes

    with database.read() as cursor:
        return photo_bytes(cursor, sha256)


def district_name(database: Database, bulletin: Bulletin) -> str:
    with database.read() as cursor:
        return store.district_of(cursor, bulletin.subdistrict, bulletin.language) or i18n.t(
            "bulletin.district.default", bulletin.language
        )


# --- Documents ------------------------------------------------------------------------------


def document_blocks(database: Database, bulletin: Bulletin):
    from audit.exports.bulletin_document import blocks, document_photo

    photos = {}
    for case in bulletin.cases:
        if case.photo_sha256 and case.photo_sha256 not in photos:
            stored = photo(database, case.photo_sha256)
            photos[case.photo_sha256] = document_photo(stored) if stored else None
    heading = title(bulletin, district_name(database, bulletin))
    return heading, blocks(bulletin, title=heading, photos=photos)


def bulletin_file(database: Database, actor: User, bulletin: Bulletin, fmt: str) -> bytes:
    """The bulletin as DOCX or PDF; a draft may be printed by its drafters, an issued one by its readers."""
    if bulletin.status is BulletinStatus.ISSUED:
        bulletin = open_bulletin(database, actor, bulletin.id)
    else:
        actor = require(actor, Permission.DRAFT_BULLETIN, database)
    heading, items = document_blocks(database, bulletin)
    if fmt == "docx":
        from audit.exports.bulletin_docx import write_docx

        return write_docx(items, title=heading)
    if fmt == "pdf":
        from audit.exports.bulletin_pdf import write_pdf

        return write_pdf(items, title=heading)
    raise InvalidInput("bulletin.error.format", field="out", format=fmt)


def scope_choices(database: Database, actor: User, language: str) -> list[tuple[str, str]]:
    """The subdistricts a bulletin may be scoped to."""
    actor = require(actor, Permission.DRAFT_BULLETIN, database)
    with database.read() as cursor:
        return store.subdistricts(cursor, language)
