"""问责: measures a supervisor records against a unit or a person of it, linked to findings.

Nothing here decides anything by itself: escalation rules (data/accountability.yaml) only suggest,
and a suggestion becomes a measure when a supervisor accepts it, or goes away with a reason when
dismissed (until new findings change it). Every measure and every change to one is in the audit
log. Units see the measures addressed to them; inspectors see none.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path, PurePath

import pyarrow as pa

from audit import accountability as rules_file
from audit.errors import Conflict, InvalidInput, NotFound
from audit.exports.csv_export import write_csv
from audit.model import EscalationRule, Measure, MeasureKind, Role, Suggestion, User, new_id
from audit.photos import prepare_photo
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, require
from audit.settings import settings
from audit.store import Database, audit_log
from audit.store import accountability as store

MAX_TEXT = 2000
MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
ENTITY = "measure"


@lru_cache(maxsize=4)
def _catalogue(path: str, modified: float) -> tuple[tuple[MeasureKind, ...], tuple[EscalationRule, ...]]:
    return rules_file.load(Path(path))


def catalogue() -> tuple[tuple[MeasureKind, ...], tuple[EscalationRule, ...]]:
    """The kinds of measure and the rules, read again when the file changes."""
    path = settings().accountability
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = 0.0
    return _catalogue(str(path), modified)


def _kind_ids() -> set[str]:
    return {kind.id for kind in catalogue()[0]}


def _text(value: str, field: str, *, required: bool = False) -> str:
    if required and not value.strip():
        raise InvalidInput(f"accountability.error.required.{field}", field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput("accountability.error.too_long", field=field, length=len(value), most=MAX_TEXT)
    return value


def _document(name: str, data: bytes) -> tuple[str, str, bytes]:
    """(name, mime, bytes) of an attachment checked by its content: a PDF, or a photo as evidence photos are."""
    name = PurePath(name or "").name.strip() or "document"
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            "accountability.error.document_size",
            field="documents",
            name=name,
            size=round(len(data) / 1048576, 1),
            most=MAX_DOCUMENT_BYTES // 1048576,
        )
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput("accountability.error.document_broken", field="documents", name=name)
        return name, "application/pdf", data
    try:
        photo = prepare_photo(data, name)
    except InvalidInput:
        raise InvalidInput("accountability.error.document_kind", field="documents", name=name) from None
    return str(PurePath(name).with_suffix(".jpg")), "image/jpeg", photo.data


def _findings(cursor, unit: str, finding_ids: list[str]) -> tuple[str, ...]:
    finding_ids = list(dict.fromkeys(finding_ids))
    if not finding_ids:
        raise InvalidInput("accountability.error.no_findings", field="findings")
    known = store.findings_of_units(cursor, finding_ids)
    missing = [finding_id for finding_id in finding_ids if finding_id not in known]
    if missing:
        raise InvalidInput("accountability.error.finding_missing", field="findings", count=len(missing))
    elsewhere = sorted(number for number, owner in known.values() if owner != unit)
    if elsewhere:
        raise InvalidInput(
            "accountability.error.finding_elsewhere", field="findings", unit=unit, numbers="、".join(elsewhere)
        )
    return tuple(finding_ids)


def _log_view(measure: Measure, documents: list[tuple[str, str]] | None = None) -> dict:
    view = {key: value for key, value in asdict(measure).items() if key not in ("recorded_at", "version")}
    view["decided_on"] = str(measure.decided_on)
    if documents is not None:
        view["documents"] = [{"name": name, "sha256": digest} for name, digest in documents]
    return view


@unit_of_work
def record_measure(
    database: Database,
    actor: User,
    *,
    kind: str,
    unit: str,
    person: str = "",
    decided_on: date,
    decided_by: str,
    basis: str,
    note: str = "",
    finding_ids: list[str],
    documents: list[tuple[str, bytes]] = (),
    suggestion: str | None = None,
    today: date,
    now: datetime,
) -> Measure:
    """Record a measure someone decided; with `suggestion`, it answers that suggestion as accepted."""
    actor = require(actor, Permission.RECORD_MEASURE, database)
    if kind not in _kind_ids():
        raise InvalidInput("accountability.error.kind", field="kind", kind=kind)
    unit = unit.strip()
    if not unit:
        raise InvalidInput("accountability.error.required.unit", field="unit")
    if decided_on > today:
        raise InvalidInput("accountability.error.future", field="decided_on", day=str(decided_on))
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInput(
            "accountability.error.documents", field="documents", count=len(documents), most=MAX_DOCUMENTS
        )
    checked = [_document(name, data) for name, data in documents]
    names = [name for name, _, _ in checked]
    if len(set(names)) != len(names):
        raise InvalidInput("accountability.error.document_names", field="documents")
    with database.write() as cursor:
        measure = Measure(
            id=new_id(),
            kind=kind,
            unit=unit,
            person=_text(person.strip(), "person"),
            decided_on=decided_on,
            decided_by=_text(decided_by.strip(), "decided_by", required=True),
            basis=_text(basis, "basis", required=True),
            note=_text(note, "note"),
            finding_ids=_findings(cursor, unit, finding_ids),
            recorded_by=actor.username,
            recorded_at=now,
            documents=tuple(names),
            suggestion=suggestion,
        )
        if suggestion is not None:
            current = {s.key: s for s in _suggestions(cursor, today)}
            if suggestion not in current:
                raise InvalidInput("accountability.error.suggestion_gone", field="suggestion")
            store.record_answer(
                cursor,
                key=suggestion,
                rule=current[suggestion].rule,
                unit=unit,
                answer="accepted",
                reason="",
                measure_id=measure.id,
                by=actor.username,
                now=now,
            )
        store.insert_measure(cursor, measure)
        digests = []
        for name, mime, data in checked:
            digest = hashlib.sha256(data).hexdigest()
            store.add_document(cursor, measure.id, digest, name, mime, data, now, actor.username)
            digests.append((name, digest))
        audit_log.append(
            cursor,
            actor=actor.username,
            action="measure.recorded",
            entity=ENTITY,
            entity_id=measure.id,
            after=_log_view(measure, digests),
            rows={
                "measure_documents": [(measure.id, digest) for _, digest in digests],
                "suggestion_answers": [suggestion] if suggestion is not None else [],
            },
        )
    return measure


@unit_of_work
def change_measure(
    database: Database, actor: User, measure: Measure, *, now: datetime, today: date, **changes
) -> Measure:
    """Correct a recorded measure, refused when someone saved a newer version first."""
    actor = require(actor, Permission.RECORD_MEASURE, database)
    allowed = {"kind", "person", "decided_on", "decided_by", "basis", "note", "finding_ids"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput("accountability.error.unknown_field", field=sorted(unknown)[0])
    changed = replace(measure, **{k: tuple(v) if k == "finding_ids" else v for k, v in changes.items()})
    if changed.kind not in _kind_ids():
        raise InvalidInput("accountability.error.kind", field="kind", kind=changed.kind)
    if changed.decided_on > today:
        raise InvalidInput("accountability.error.future", field="decided_on", day=str(changed.decided_on))
    for field in ("person", "note"):
        _text(getattr(changed, field), field)
    for field in ("decided_by", "basis"):
        _text(getattr(changed, field), field, required=True)
    with database.write() as cursor:
        changed = replace(changed, finding_ids=_findings(cursor, changed.unit, list(changed.finding_ids)))
        if not store.update_measure(cursor, changed, measure.version, now, actor.username):
            raise Conflict("accountability.error.changed")
        audit_log.append(
            cursor,
            actor=actor.username,
            action="measure.changed",
            entity=ENTITY,
            entity_id=measure.id,
            before=_log_view(measure),
            after=_log_view(changed),
        )
    return replace(changed, version=measure.version + 1)


def _suggestions(cursor, today: date) -> list[Suggestion]:
    found: list[Suggestion] = []
    for rule in catalogue()[1]:
        if rule.kind == "repeats":
            for unit, ids, numbers in store.repeat_offenders(cursor, today, rule.days, rule.count):
                key = f"{rule.id}:{unit}:{numbers[-1]}"  # new repeats make a new suggestion after a dismissal
                found.append(Suggestion(key, rule.id, unit, tuple(ids), tuple(numbers), rule.suggest))
        else:
            severity = rule.severity.value if rule.severity else None
            for unit, finding_id, number in store.long_overdue(cursor, today, rule.days, severity):
                found.append(
                    Suggestion(f"{rule.id}:{finding_id}", rule.id, unit, (finding_id,), (number,), rule.suggest)
                )
    answered = store.answered(cursor)
    return [suggestion for suggestion in found if suggestion.key not in answered]


def suggestions(database: Database, actor: User, *, today: date) -> list[Suggestion]:
    """What the rules suggest today that no supervisor has answered yet."""
    actor = require(actor, Permission.RECORD_MEASURE, database)
    with database.read() as cursor:
        return _suggestions(cursor, today)


@unit_of_work
def dismiss_suggestion(database: Database, actor: User, key: str, *, reason: str, today: date, now: datetime) -> None:
    actor = require(actor, Permission.RECORD_MEASURE, database)
    reason = _text(reason.strip(), "reason", required=True)
    with database.write() as cursor:
        current = {s.key: s for s in _suggestions(cursor, today)}
        if key not in current:
            raise InvalidInput("accountability.error.suggestion_gone", field="suggestion")
        suggestion = current[key]
        store.record_answer(
            cursor,
            key=key,
            rule=suggestion.rule,
            unit=suggestion.unit,
            answer="dismissed",
            reason=reason,
            measure_id=None,
            by=actor.username,
            now=now,
        )
        audit_log.append(
            cursor,
            actor=actor.username,
            action="suggestion.dismissed",
            entity="suggestion",
            entity_id=key,
            after={
                "rule": suggestion.rule,
                "unit": suggestion.unit,
                "findings": list(suggestion.numbers),
                "reason": reason,
            },
        )


def _scope(database: Database, actor: User, unit: str | None) -> str | None:
    actor = require(actor, Permission.VIEW_MEASURES, database)
    if actor.role is Role.UNIT:
        return actor.unit or "\x00no unit\x00"
    return unit


def measures(
    database: Database,
    actor: User,
    *,
    unit: str | None = None,
    person: str | None = None,
    finding_id: str | None = None,
    decided_from: date | None = None,
    decided_to: date | None = None,
) -> list[Measure]:
    """Supervisors see every measure; a unit only those addressed to it."""
    scope = _scope(database, actor, unit)
    with database.read() as cursor:
        return store.measures(
            cursor,
            unit=scope,
            person=person or None,
            finding_id=finding_id,
            decided_from=decided_from,
            decided_to=decided_to,
        )


def measure_document(database: Database, actor: User, measure_id: str, name: str) -> tuple[str, bytes]:
    scope = _scope(database, actor, None)
    with database.read() as cursor:
        if not store.measures(cursor, unit=scope, measure_id=measure_id):
            raise NotFound("accountability.error.not_found")
        found = store.document(cursor, measure_id, name)
    if found is None:
        raise NotFound("accountability.error.not_found")
    return found


def units(database: Database, actor: User) -> list[str]:
    actor = require(actor, Permission.RECORD_MEASURE, database)
    with database.read() as cursor:
        return store.units(cursor)


def unit_findings(database: Database, actor: User, unit: str) -> list[tuple[str, str, str]]:
    actor = require(actor, Permission.RECORD_MEASURE, database)
    with database.read() as cursor:
        return store.unit_findings(cursor, unit)


def kind_name(kind: str, language: str) -> str:
    names = {k.id: k.name.get(language) for k in catalogue()[0]}
    return names.get(kind, kind)


def rule_text(rule: str, language: str) -> str:
    texts = {r.id: r.text.get(language) for r in catalogue()[1]}
    return texts.get(rule, rule)


def measures_csv(rows: list[Measure], numbers: dict[str, str], language: str) -> bytes:
    """The list as CSV (UTF-8 with BOM, cells a spreadsheet could run made inert, as the ledger's export)."""
    from audit import i18n

    fields = ("decided_on", "kind", "unit", "person", "decided_by", "basis", "findings", "note", "documents")
    headings = [i18n.t(f"accountability.column.{field}", language) for field in fields]
    columns = [
        [str(m.decided_on) for m in rows],
        [kind_name(m.kind, language) for m in rows],
        [m.unit for m in rows],
        [m.person for m in rows],
        [m.decided_by for m in rows],
        [m.basis for m in rows],
        ["、".join(numbers.get(f, f) for f in m.finding_ids) for m in rows],
        [m.note for m in rows],
        ["、".join(m.documents) for m in rows],
    ]
    batch = pa.RecordBatch.from_arrays([pa.array(column, pa.string()) for column in columns], names=list(fields))
    out = io.BytesIO()
    write_csv([batch] if rows else [], headings, out, total=len(rows))
    return out.getvalue()


def finding_numbers(database: Database, actor: User, rows: list[Measure]) -> dict[str, str]:
    actor = require(actor, Permission.VIEW_MEASURES, database)
    with database.read() as cursor:
        known = store.findings_of_units(cursor, sorted({f for m in rows for f in m.finding_ids}))
    return {finding_id: number for finding_id, (number, _) in known.items()}
