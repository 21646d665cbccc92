"""The drawn arrays turned into Arrow tables with the columns of the store's tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from audit.demo.findings import Findings
from audit.demo.inspections import SECONDS_PER_ITEM, Catalogue, Inspections, Responses
from audit.demo.rectification import (
    ACTIONS,
    CLOSED,
    REPORT_STAGES,
    STATUSES,
    VERDICT_STAGES,
    Stage,
    at,
    latest,
    rectification_stages,
)
from audit.demo.vectors import DAY, texts, timestamps, uuid_strings
from audit.demo.wording import INSPECTORS, NAMES, TEXT_ANSWERS, WORKED_CASE, Wording, community_committee
from audit.model import Site


def lookup(values, codes: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """values[codes] as an Arrow column, null where `missing`."""
    return pa.array(list(values)).take(pa.array(codes, mask=missing))


def names(indices: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return lookup(NAMES, indices, missing)


def status_names(codes: np.ndarray) -> pa.Array:
    return lookup(STATUSES, codes, codes < 0)


def event_table(
    rng: np.random.Generator, stages: list[Stage], kept: np.ndarray, finding_ids: pa.Array, stamp: int | None
) -> pa.Table:
    """The steps that happened, one row each, grouped by finding and in order."""
    rows = [np.flatnonzero(keep) for keep in kept]
    finding = np.concatenate(rows)
    order = np.lexsort((np.concatenate([np.full(len(r), k) for k, r in enumerate(rows)]), finding))

    def column(field: str) -> np.ndarray:
        return np.concatenate([np.asarray(getattr(s, field))[r] for s, r in zip(stages, rows)])[order]

    return pa.table(
        {
            "id": uuid_strings(rng, len(finding), stamp),
            "finding_id": finding_ids.take(pa.array(finding[order])),
            "happened_at": timestamps(column("time")),
            "actor": names(column("actor")),
            "action": lookup(ACTIONS, column("action")),
            "from_status": status_names(column("before")),
            "to_status": status_names(column("after")),
            "note": pa.concat_arrays([s.note.take(pa.array(r)) for s, r in zip(stages, rows)]).take(pa.array(order)),
        }
    )


def inspection_table(
    rng,
    inspections: Inspections,
    responses: Responses,
    results: np.ndarray,
    catalogue: Catalogue,
    site_ids: pa.Array,
    stamp: int | None = None,
) -> tuple[pa.Table, pa.Array]:
    """`stamp`, when given, makes the ids version-7 UUIDs of that time (`uuid_strings`)."""
    n = len(inspections.site)
    ids = uuid_strings(rng, n, stamp)
    passed = np.bincount(responses.inspection, weights=results == 0, minlength=n)
    failed = np.bincount(responses.inspection, weights=results == 1, minlength=n)
    submitted = inspections.started + catalogue.count[inspections.checklist] * SECONDS_PER_ITEM + 300
    checklists = catalogue.checklists
    team = names(inspections.team.ravel())
    lead = names(inspections.team[:, 0])
    table = pa.table(
        {
            "id": ids,
            "site_id": site_ids.take(pa.array(inspections.site)),
            "checklist_id": lookup((c.id for c in checklists), inspections.checklist),
            "checklist_version": lookup((c.version for c in checklists), inspections.checklist),
            "checklist_hash": lookup((c.content_hash for c in checklists), inspections.checklist),
            "inspectors": pa.ListArray.from_arrays(pa.array(np.arange(0, 2 * n + 1, 2, dtype=np.int32)), team),
            "started_at": timestamps(inspections.started),
            "status": lookup(("submitted",), np.zeros(n, dtype=np.int64)),
            "submitted_at": timestamps(submitted),
            "score": pa.array(np.round(100 * passed / np.maximum(passed + failed, 1), 1)),
            "created_by": lead,
            "version": pa.array(np.ones(n, dtype=np.int32)),
            "updated_at": timestamps(submitted),
            "updated_by": lead,
        }
    )
    return table, ids


def response_table(
    rng,
    responses: Responses,
    results: np.ndarray,
    values: np.ndarray,
    catalogue: Catalogue,
    inspections: Inspections,
    inspection_ids: pa.Array,
) -> pa.Table:
    n = len(results)
    text = results == -1
    answers = np.where(text, rng.integers(0, len(TEXT_ANSWERS), n), -1)
    return pa.table(
        {
            "inspection_id": inspection_ids.take(pa.array(responses.inspection)),
            "item_id": lookup((i.id for i in catalogue.items), responses.item),
            "result": lookup(("pass", "fail", "na"), results, text),
            "value": pa.array(values, pa.float64(), from_pandas=True),
            "text": lookup(TEXT_ANSWERS, answers, ~text),
            "answered_at": timestamps(
                inspections.started[responses.inspection] + (responses.position + 1) * SECONDS_PER_ITEM
            ),
            "answered_by": names(inspections.team[responses.inspection, 0]),
        }
    )


def finding_tables(
    rng,
    findings: Findings,
    sites: list[Site],
    catalogue: Catalogue,
    values: np.ndarray,
    inspections: Inspections,
    inspection_ids: pa.Array,
    site_ids: pa.Array,
    now: int,
    case_unit: str | None = None,
    stamp: int | None = None,
) -> tuple[pa.Table, pa.Table]:
    """The findings as they stand at `now`, and the rectification events that brought them there.

    `case_unit` answers for the worked case (its community's committee, which may be among other sites);
    `stamp` makes the ids version-7 UUIDs of that time.
    """
    n, case = len(findings.found), findings.worked
    ids = uuid_strings(rng, n, stamp)
    days = catalogue.severity_days[findings.item].copy()
    days[case] = WORKED_CASE.deadline_days
    staff = rng.integers(len(INSPECTORS), len(NAMES), len(sites))[findings.site]
    staff[case] = NAMES.index(WORKED_CASE.secretary)
    inspector = inspections.team[findings.inspection, 0]
    wording = Wording(rng, sites, catalogue, findings, values)
    fix_note = wording.fix_reports()
    stages = rectification_stages(rng, findings, days, staff, inspector, fix_note)
    kept = np.stack([s.valid & (s.time <= now) for s in stages])
    last = latest(kept, tuple(range(len(stages))))
    status = at(stages, "after", last)
    reported, verdict = latest(kept, REPORT_STAGES), latest(kept, VERDICT_STAGES)
    units = [site.unit.zh for site in sites]
    table = pa.table(
        {
            "id": ids,
            "number": pa.array(findings.numbers, pa.string()),
            "inspection_id": inspection_ids.take(pa.array(findings.inspection)),
            "site_id": site_ids.take(pa.array(findings.site)),
            "checklist_id": lookup((c.id for c in catalogue.checklists), catalogue.checklist_of[findings.item]),
            "item_id": lookup((i.id for i in catalogue.items), findings.item),
            "description": wording.descriptions(),
            "severity": lookup((i.severity.value for i in catalogue.items), findings.item),
            "immediate_measure": wording.measures(),
            "responsible_unit": texts(
                np.where(case, -1, findings.site),
                lambda c: (
                    units[c] if c >= 0 else case_unit or community_committee(sites, sites[findings.site[case][0]])
                ),
            ),
            "responsible_person": names(staff),
            "requirement": wording.requirements(),
            "deadline": pa.array((findings.found // DAY + days).astype(np.int32), pa.date32()),
            "status": status_names(status),
            "found_at": timestamps(findings.found),
            "inspector": names(inspector),
            "fix_report": pc.if_else(pa.array(reported >= 0), fix_note, ""),
            "reported_by": names(staff, reported < 0),
            "reported_at": timestamps(at(stages, "time", reported), reported >= 0),
            "verifier": names(at(stages, "actor", verdict), verdict < 0),
            "closed_at": timestamps(at(stages, "time", last), status == CLOSED),
            "repeat_of": ids.take(pa.array(findings.previous, mask=findings.previous < 0)),
            "is_repeat": pa.array(findings.previous >= 0),
            "version": pa.array(kept.sum(axis=0)),
            "updated_at": timestamps(at(stages, "time", last)),
            "updated_by": names(at(stages, "actor", last)),
        }
    )
    return table, event_table(rng, stages, kept, ids, stamp)
