"""Realistic demo data, a million findings in well under two minutes.

Everything is drawn in bulk with numpy from one seeded generator (ids included), so a
seed always gives the same rows, and handed to the store as Arrow tables: no row is
written one at a time. The shape is that of a district's epidemic-prevention inspections:
inspections at sites against the checklists that apply to them, failures concentrated on
some sites and items, repeats, a rectification history for every finding, and the worked
case (`wording.WorkedCase`: the late-night transfer at an isolation point).
"""

from __future__ import annotations

import ctypes
import math
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from audit import leftovers
from audit.demo.findings import collect_findings, failed_in_order, number_parts
from audit.demo.inspections import (
    VISITS,
    Catalogue,
    Inspections,
    Responses,
    add_worked_case,
    applicable,
    choose_failures,
    draw_enough_inspections,
    lay_out_responses,
    response_results,
    worked_case_items,
)
from audit.demo.province import province_sites
from audit.demo.tables import finding_tables, inspection_table, response_table
from audit.demo.vectors import epoch_seconds, measured_values, uuid_strings
from audit.demo.wording import WORKED_CASE, community_committee
from audit.errors import InvalidInput
from audit.model import Checklist, Site
from audit.services.sites import parse_sites
from audit.store import demo as store
from audit.store import open_database
from audit.store.db import Database
from audit.store.sites import count_sites, import_sites, list_sites

SITES_CSV = Path(__file__).resolve().parents[2] / "data" / "sites.csv"
ACTOR = "demo"
PART_FINDINGS = 100_000
"""Findings drawn and saved at a time: memory follows this, not the size of the load."""
MEMORY_MB = 800
"""What the database may hold in memory while a demo loads (its own part, beside the drawn arrays)."""

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

    def __add__(self, other: DemoReport) -> DemoReport:
        return DemoReport(
            sites=self.sites,
            inspections=self.inspections + other.inspections,
            responses=self.responses + other.responses,
            findings=self.findings + other.findings,
            events=self.events + other.events,
            worked_case=self.worked_case or other.worked_case,
        )


def usable(checklists: list[Checklist]) -> list[Checklist]:
    return sorted((c for c in checklists if c.items), key=lambda c: c.id)


@dataclass(frozen=True)
class Part:
    sites: np.ndarray
    """Indices into the plan's sites: a run of neighbouring sites, each inspected only within its part."""
    count: int


@dataclass
class Plan:
    """A load cut into parts of about `PART_FINDINGS` findings each, drawn and saved one at a time.

    A part holds every inspection of its sites, so repeats (same site and item) never cross parts
    and memory stays that of one part however many findings are asked for. The findings' numbers
    run in the order found across all parts: a first pass draws each part's times only, and the
    second draws the part again from the same seed and goes on to the rest.
    """

    seed: int
    sites: list[Site]
    catalogue: Catalogue
    allowed: np.ndarray
    now: int
    parts: list[Part]
    case_unit: str | None

    @classmethod
    def make(cls, seed: int, sites: list[Site], checklists: list[Checklist], count: int, now: int, size: int) -> Plan:
        catalogue = Catalogue.of(usable(checklists))
        allowed = applicable(sites, catalogue)
        if count and not allowed.any():
            raise InvalidInput("demo.error.no_applicable_checklist", field="checklists")
        case_site = next((site for site in sites if site.code == WORKED_CASE.site_code), None)
        case_unit = community_committee(sites, case_site) if case_site else None
        return cls(seed, sites, catalogue, allowed, now, split(sites, allowed, count, size), case_unit)

    def shape(self, number: int) -> tuple[np.random.Generator, list[Site], Inspections, Responses]:
        """A part's inspections and which answers failed: all the first pass needs."""
        part, catalogue = self.parts[number], self.catalogue
        rng = np.random.default_rng([self.seed, 2, number])
        sites = [self.sites[i] for i in part.sites.tolist()]
        case_items = worked_case_items(sites, catalogue, part.count)
        random_count = part.count - len(case_items)
        allowed = self.allowed[part.sites]
        inspections = (
            draw_enough_inspections(rng, sites, catalogue, allowed, random_count, self.now)
            if random_count
            else Inspections.none()
        )
        if case_items:
            add_worked_case(inspections, sites, catalogue, case_items, self.now)
        responses = lay_out_responses(inspections, catalogue)
        choose_failures(rng, responses, inspections, catalogue, len(sites), part.count, case_items)
        return rng, sites, inspections, responses

    def found(self, number: int) -> np.ndarray:
        _, _, inspections, responses = self.shape(number)
        return failed_in_order(responses, inspections)[2]

    def tables(self, number: int, sequence: np.ndarray) -> tuple[dict[str, pa.Table], bool]:
        """The four bulk tables of one part, and whether the worked case is in it."""
        rng, sites, inspections, responses = self.shape(number)
        catalogue = self.catalogue
        results = response_results(rng, responses, catalogue)
        values = measured_values(rng, catalogue.items, responses.item, responses.failed)
        site_ids = pa.array([site.id for site in sites], pa.string())
        stamp = self.now * 1000 + number  # each part's ids sort after the last part's
        inspection_rows, inspection_ids = inspection_table(
            rng, inspections, responses, results, catalogue, site_ids, stamp
        )
        response_rows = response_table(rng, responses, results, values, catalogue, inspections, inspection_ids)
        findings = collect_findings(responses, inspections, catalogue, {}, sequence)
        finding_rows, event_rows = finding_tables(
            rng,
            findings,
            sites,
            catalogue,
            values[findings.response],
            inspections,
            inspection_ids,
            site_ids,
            self.now,
            self.case_unit,
            stamp,
        )
        tables = {
            "inspections": inspection_rows,
            "responses": response_rows,
            "findings": finding_rows,
            "finding_events": event_rows,
        }
        return tables, bool(inspections.worked)


def split(sites: list[Site], allowed: np.ndarray, count: int, size: int) -> list[Part]:
    """Neighbouring sites grouped so each group expects about `size` of the `count` findings.

    A site's share follows how often its kind is visited; the counts add up to `count` exactly.
    """
    weight = np.array([VISITS[site.kind] for site in sites]) * allowed.any(axis=1)
    if not count or not weight.sum():
        return []
    parts = max(1, min(math.ceil(count / size), int(np.count_nonzero(weight))))
    total = weight.sum()
    middle = np.cumsum(weight) - weight / 2
    group = np.minimum((middle / total * parts).astype(np.int64), parts - 1)
    ends = np.round(count * np.cumsum(np.bincount(group, weights=weight, minlength=parts)) / total).astype(np.int64)
    counts = np.diff(ends, prepend=0)
    counts[-1] += count - ends[-1]
    return [Part(np.flatnonzero(group == g), int(n)) for g, n in enumerate(counts.tolist()) if n > 0]


def import_demo_sites(cursor: duckdb.DuckDBPyConnection, seed: int) -> None:
    """The shipped registry, with ids from the seed so that two runs match row for row."""
    rows = parse_sites(SITES_CSV)
    ids = iter(uuid_strings(np.random.default_rng([seed, 1]), len(rows)).to_pylist())
    import_sites(cursor, rows, actor=ACTOR, make_id=ids.__next__)


def add_sites(cursor: duckdb.DuckDBPyConnection, seed: int, at_least: int) -> tuple[str, list] | None:
    """The registry when the database has no sites, then generated sites up to `at_least` in all.

    Returns which sites were added, as `rows_where` for the log entry, or None.
    """
    added = None
    if count_sites(cursor, active_only=False) == 0:
        import_demo_sites(cursor, seed)
        added = ("true", [])
    missing = at_least - count_sites(cursor, active_only=False)
    if missing > 0:
        taken = {site.code for site in list_sites(cursor, active_only=False)}
        rows = province_sites(np.random.default_rng([seed, 3]), missing, taken)
        ids = iter(uuid_strings(np.random.default_rng([seed, 4]), len(rows)).to_pylist())
        import_sites(cursor, rows, actor=ACTOR, make_id=ids.__next__)
        if added is None:
            added = ("code IN (SELECT unnest(?::VARCHAR[]))", [[row["code"] for row in rows]])
    return added


def transactions(database: Database, atomic: bool):
    """`write()` for each part: one transaction for the whole load when `atomic`, else one per part."""
    if not atomic:
        return nullcontext(database.write)

    @contextmanager
    def whole():
        with database.write() as cursor:
            yield lambda: nullcontext(cursor)

    return whole()


def generate(
    database: Database,
    checklists: list[Checklist],
    findings: int = 50_000,
    seed: int = 2020,
    progress: Progress | None = None,
    now: datetime | None = None,
    actor: str = ACTOR,
    sites: int = 0,
    part_findings: int = PART_FINDINGS,
    atomic: bool = True,
) -> DemoReport:
    """Add `findings` findings with their inspections and histories.

    Sites come from the database, or from data/sites.csv when it has none; `sites` asks for at least
    that many, the rest generated over the province (`province`). The load goes in parts of about
    `part_findings` findings, one log entry each, all in one transaction when `atomic`, else one
    transaction per part (for a new file built aside, where a failed load leaves nothing anyway), the
    file reopened between parts so that memory stays that of one part (`store.release_memory`).
    """
    if findings < 0:
        raise InvalidInput("demo.error.negative_count", field="findings")
    progress = progress or (lambda stage, done: None)
    now = (now or datetime.now()).replace(microsecond=0)
    with transactions(database, atomic) as write, ThreadPoolExecutor(1, thread_name_prefix="demo-draw") as drawer:
        with write() as cursor:
            sites_where = add_sites(cursor, seed, sites)
            site_list = list_sites(cursor)
            store.ensure_checklists(cursor, usable(checklists), now)
            plan = Plan.make(seed, site_list, checklists, findings, epoch_seconds(now), part_findings)
            found = []
            for number in range(len(plan.parts)):
                found.append(plan.found(number))
                progress("inspections", 0.1 * (number + 1) / len(plan.parts))
            sequences, last_numbers = number_parts(found, store.finding_sequences(cursor))
            del found
            give_back_freed_memory()  # numbering every finding at once held arrays of the whole load
            store.set_finding_sequences(cursor, last_numbers)
            report = DemoReport(len(site_list), 0, 0, 0, 0, False)
            draw = Drawing(plan, sequences, drawer)
            if not plan.parts:
                after = {"seed": seed, **asdict(report)}
                store.log_generated(cursor, (), actor=actor, after=after, sites_where=sites_where)
            else:
                report += save_part(cursor, plan, 0, draw.take(0), seed, actor, sites_where, progress)
                draw.ahead(1)
        for number in range(1, len(plan.parts)):
            give_back_freed_memory()
            if not atomic:
                store.release_memory(database, MEMORY_MB)
            with write() as cursor:
                report += save_part(cursor, plan, number, draw.take(number), seed, actor, None, progress)
                draw.ahead(number + 1)
        progress("committing", 0.97)
    progress("done", 1.0)
    return report


def give_back_freed_memory() -> None:
    """Hand the memory the C allocator holds free back to the system (glibc's `malloc_trim`).

    What large arrays freed between parts leave, glibc may keep for reuse instead of returning it,
    and the next part's peak then comes on top of it. Elsewhere than glibc this does nothing.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


class Drawing:
    """Each part's tables, the next part drawn on a second thread while the store commits this one.

    numpy, Arrow and DuckDB leave the GIL while they work, so the drawing takes a second core
    where there is one. A part is drawn only once the part before has been saved, so the tables of
    one part at a time are held, as when drawing and saving take turns.
    """

    def __init__(self, plan: Plan, sequences: list[np.ndarray], drawer: ThreadPoolExecutor):
        self._plan, self._sequences, self._drawer = plan, sequences, drawer
        self._pending: tuple[int, Future] | None = None

    def ahead(self, number: int) -> None:
        """Start drawing part `number`, if there is one."""
        if number < len(self._plan.parts):
            sequence, self._sequences[number] = self._sequences[number], None
            self._pending = (number, self._drawer.submit(self._plan.tables, number, sequence))

    def take(self, number: int) -> tuple[dict[str, pa.Table], bool]:
        """Part `number`'s tables and whether the worked case is in it, drawn now unless started ahead."""
        if self._pending is None or self._pending[0] != number:
            self.ahead(number)
        pending, self._pending = self._pending[1], None
        return pending.result()


def save_part(
    cursor: duckdb.DuckDBPyConnection,
    plan: Plan,
    number: int,
    drawn: tuple[dict[str, pa.Table], bool],
    seed: int,
    actor: str,
    sites_where: tuple[str, list] | None,
    progress: Progress,
) -> DemoReport:
    """Save and log one part, drawn by `Plan.tables`; its arrays are gone once it returns."""
    parts = len(plan.parts)
    tables, worked_case = drawn
    for done, (table, rows) in enumerate(tables.items(), start=1):
        progress(f"saving {table}", 0.1 + 0.85 * (number + done / (len(tables) + 1)) / parts)
        store.insert_table(cursor, table, rows)
    counted = {table: rows.num_rows for table, rows in tables.items()}
    report = DemoReport(
        sites=len(plan.sites),
        inspections=counted["inspections"],
        responses=counted["responses"],
        findings=counted["findings"],
        events=counted["finding_events"],
        worked_case=worked_case,
    )
    after = {"seed": seed, **asdict(report)} | ({"part": number + 1, "parts": parts} if parts > 1 else {})
    store.log_generated(cursor, tables, actor=actor, after=after, sites_where=sites_where)
    return report


def generate_file(path: str | os.PathLike, checklists: list[Checklist], **options) -> DemoReport:
    """Generate into `path`; a new file is built aside and renamed, so a failed run leaves none.

    A new file is built part by part (`atomic=False`): nobody sees it before the rename. The
    database may use `MEMORY_MB` of memory, spilling to disk past that, so a province-sized load
    runs in the same memory as a small one. What a killed run left beside `path` is removed first
    (the command line tells which).
    """
    path = Path(path)
    leftovers.remove_abandoned(path, leftovers.PARTIAL)
    if path.exists():
        database = open_database(path)
        try:
            store.set_for_load(database, MEMORY_MB)
            return generate(database, checklists, **options)
        finally:
            database.close()
    partial = leftovers.work_path(path, leftovers.PARTIAL)
    for stale in (partial, wal_of(partial)):  # an earlier process that had this pid
        stale.unlink(missing_ok=True)
    try:
        database = open_database(partial)
        try:
            store.set_for_load(database, MEMORY_MB)
            report = generate(database, checklists, atomic=False, **options)
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
