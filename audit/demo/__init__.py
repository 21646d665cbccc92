"""Realistic demo data, a million findings in well under two minutes.

Everything is drawn in bulk with numpy from one seeded generator (ids included), so a
seed always gives the same rows, and handed to the store as Arrow tables: no row is
written one at a time. The shape is that of a district's epidemic-prevention inspections:
inspections at sites against the checklists that apply to them, failures concentrated on
some sites and items, repeats, a rectification history for every finding, and the worked
case (`wording.WorkedCase`: the late-night transfer at an isolation point).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from audit import leftovers
from audit.demo.findings import collect_findings
from audit.demo.inspections import (
    Catalogue,
    Inspections,
    add_worked_case,
    applicable,
    choose_failures,
    draw_enough_inspections,
    lay_out_responses,
    response_results,
    worked_case_items,
)
from audit.demo.tables import finding_tables, inspection_table, response_table
from audit.demo.vectors import epoch_seconds, measured_values, uuid_strings
from audit.errors import InvalidInput
from audit.model import Checklist, Site
from audit.services.database import unit_of_work
from audit.services.sites import parse_sites
from audit.store import demo as store
from audit.store import open_database
from audit.store.db import Database
from audit.store.sites import count_sites, import_sites, list_sites

SITES_CSV = Path(__file__).resolve().parents[2] / "data" / "sites.csv"
ACTOR = "demo"

Progress = Callable[[str, float], None]
"""Told the stage being worked on and the fraction of the whole load done so far."""


@dataclass(frozen=True)
class DemoReport:
    sites: int
    inspections: int
    responses: int
    findings: int
    events: int
    worked_case: bool


def usable(checklists: list[Checklist]) -> list[Checklist]:
    return sorted((c for c in checklists if c.items), key=lambda c: c.id)


def build(
    rng: np.random.Generator,
    sites: list[Site],
    checklists: list[Checklist],
    count: int,
    now: int,
    last_numbers: dict[int, int],
    progress: Progress,
) -> tuple[dict[str, pa.Table], dict[int, int], bool]:
    """The four bulk tables, the last finding number of each year, and whether the worked case is in."""
    if not count:
        return {}, last_numbers, False
    catalogue = Catalogue.of(usable(checklists))
    allowed = applicable(sites, catalogue)
    if not allowed.any():
        raise InvalidInput("demo.error.no_applicable_checklist", field="checklists")
    case_items = worked_case_items(sites, catalogue, count)
    random_count = count - len(case_items)
    inspections = (
        draw_enough_inspections(rng, sites, catalogue, allowed, random_count, now)
        if random_count
        else Inspections.none()
    )
    if case_items:
        add_worked_case(inspections, sites, catalogue, case_items, now)
    progress("inspections", 0.1)
    responses = lay_out_responses(inspections, catalogue)
    choose_failures(rng, responses, inspections, catalogue, len(sites), count, case_items)
    results = response_results(rng, responses, catalogue)
    values = measured_values(rng, catalogue.items, responses.item, responses.failed)
    site_ids = pa.array([site.id for site in sites], pa.string())
    inspection_rows, inspection_ids = inspection_table(rng, inspections, responses, results, catalogue, site_ids)
    response_rows = response_table(rng, responses, results, values, catalogue, inspections, inspection_ids)
    progress("findings", 0.25)
    findings = collect_findings(responses, inspections, catalogue, last_numbers)
    finding_rows, event_rows = finding_tables(
        rng, findings, sites, catalogue, values[findings.response], inspections, inspection_ids, site_ids, now
    )
    tables = {
        "inspections": inspection_rows,
        "responses": response_rows,
        "findings": finding_rows,
        "finding_events": event_rows,
    }
    return tables, findings.last_numbers, bool(case_items)


def import_demo_sites(cursor: duckdb.DuckDBPyConnection, seed: int) -> None:
    """The shipped registry, with ids from the seed so that two runs match row for row."""
    rows = parse_sites(SITES_CSV)
    ids = iter(uuid_strings(np.random.default_rng([seed, 1]), len(rows)).to_pylist())
    import_sites(cursor, rows, actor=ACTOR, make_id=ids.__next__)


@unit_of_work
def generate(
    database: Database,
    checklists: list[Checklist],
    findings: int = 50_000,
    seed: int = 2020,
    progress: Progress | None = None,
    now: datetime | None = None,
    actor: str = ACTOR,
) -> DemoReport:
    """Add `findings` findings with their inspections and histories, all in one transaction.

    Sites come from the database, or from data/sites.csv when it has none.
    """
    if findings < 0:
        raise InvalidInput("demo.error.negative_count", field="findings")
    progress = progress or (lambda stage, done: None)
    now = (now or datetime.now()).replace(microsecond=0)
    rng = np.random.default_rng(seed)
    with database.write() as cursor:
        sites_added = count_sites(cursor, active_only=False) == 0
        if sites_added:
            import_demo_sites(cursor, seed)
        sites = list_sites(cursor)
        store.ensure_checklists(cursor, usable(checklists), now)
        tables, last_numbers, worked_case = build(
            rng, sites, checklists, findings, epoch_seconds(now), store.finding_sequences(cursor), progress
        )
        for done, (table, rows) in enumerate(tables.items(), start=1):
            progress(f"saving {table}", 0.3 + 0.15 * done)
            store.insert_table(cursor, table, rows)
        store.set_finding_sequences(cursor, last_numbers)
        counted = {table: rows.num_rows for table, rows in tables.items()}
        report = DemoReport(
            sites=len(sites),
            inspections=counted.get("inspections", 0),
            responses=counted.get("responses", 0),
            findings=counted.get("findings", 0),
            events=counted.get("finding_events", 0),
            worked_case=worked_case,
        )
        store.log_generated(
            cursor, tables, actor=actor, after={"seed": seed, **asdict(report)}, sites_added=sites_added
        )
        progress("committing", 0.95)
    progress("done", 1.0)
    return report


def generate_file(path: str | os.PathLike, checklists: list[Checklist], **options) -> DemoReport:
    """Generate into `path`; a new file is built aside and renamed, so a failed run leaves none.

    What a killed run left beside `path` is removed first (the command line tells which).
    """
    path = Path(path)
    leftovers.remove_abandoned(path, leftovers.PARTIAL)
    if path.exists():
        database = open_database(path)
        try:
            return generate(database, checklists, **options)
        finally:
            database.close()
    partial = leftovers.work_path(path, leftovers.PARTIAL)
    for stale in (partial, wal_of(partial)):  # an earlier process that had this pid
        stale.unlink(missing_ok=True)
    try:
        database = open_database(partial)
        try:
            report = generate(database, checklists, **options)
        finally:
            database.close()
        if wal_of(partial).exists():
            os.replace(wal_of(partial), wal_of(path))
        os.replace(partial, path)
    finally:
        for leftover in (partial, wal_of(partial)):
            leftover.unlink(missing_ok=True)
    return report


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")
