"""The demo generator in parts: a province-sized load drawn and saved a bounded part at a time."""

from __future__ import annotations

import re
import threading
from uuid import UUID

import numpy as np
import pytest

from audit.demo import Plan, generate, generate_file, split
from audit.demo.inspections import Catalogue, applicable
from audit.demo.province import DISTRICTS, province_sites
from audit.demo.vectors import uuid_strings
from audit.model import SiteKind
from audit.store import audit_log, open_database
from audit.store import demo as demo_store
from tests.test_demo import CHECKLISTS, NOW, rows

FINDINGS = 3000
PART = 700


@pytest.fixture(scope="module")
def parted(tmp_path_factory):
    """A load of several parts over registry and generated sites."""
    database = open_database(tmp_path_factory.mktemp("parts") / "parts.duckdb")
    report = generate(database, CHECKLISTS, findings=FINDINGS, seed=11, now=NOW, sites=900, part_findings=PART)
    yield database, report
    database.close()


def test_the_counts_add_up_over_the_parts(parted):
    database, report = parted
    ((findings, inspections, responses, events, sites),) = rows(
        database,
        "SELECT (SELECT count(*) FROM findings), (SELECT count(*) FROM inspections), "
        "(SELECT count(*) FROM responses), (SELECT count(*) FROM finding_events), (SELECT count(*) FROM sites)",
    )
    assert findings == report.findings == FINDINGS
    assert (inspections, responses, events) == (report.inspections, report.responses, report.events)
    assert sites == report.sites == 900


def test_each_part_is_one_log_entry_and_the_log_verifies(parted):
    database, report = parted
    entries = rows(database, "SELECT action, after->>'part', after->>'parts', after->>'findings' FROM audit_log")
    assert {action for action, *_ in entries} == {"demo.generated"}
    assert len(entries) == int(entries[0][2]) >= FINDINGS // PART
    assert [int(part) for _, part, _, _ in entries] == list(range(1, len(entries) + 1))
    assert sum(int(findings) for *_, findings in entries) == FINDINGS
    with database.read() as cursor:
        result = audit_log.verify(cursor)
    assert result.ok, (result.reason, result.rows[:3])
    assert result.rows_checked > FINDINGS


def test_numbers_run_per_year_in_the_order_found_across_parts(parted):
    numbers = rows(parted[0], "SELECT number, year(found_at) FROM findings ORDER BY found_at, number")
    assert len({n for n, _ in numbers}) == FINDINGS
    last = {}
    for number, year in numbers:
        prefix, sequence = number.split("-")
        assert int(prefix) == year and int(sequence) == last.get(year, 0) + 1
        last[year] = int(sequence)
    assert dict(rows(parted[0], "SELECT name, value FROM sequences")) == {f"finding-{y}": v for y, v in last.items()}


def test_repeats_and_reopenings_name_findings_of_the_same_site(parted):
    unmarked = rows(
        parted[0],
        """SELECT count(*) FROM (SELECT is_repeat, found_at - lag(found_at) OVER (
               PARTITION BY site_id, checklist_id, item_id ORDER BY found_at, number) AS gap FROM findings)
           WHERE NOT is_repeat AND gap <= INTERVAL 90 DAY""",
    )
    assert unmarked == [(0,)]
    reopened = rows(
        parted[0],
        "SELECT e.note, f.site_id, f.item_id FROM finding_events e JOIN findings f ON f.id = e.finding_id "
        "WHERE e.action = 'reopened'",
    )
    for note, site, item in reopened:
        (number,) = re.findall(r"\d{4}-\d+", note)
        assert rows(parted[0], "SELECT site_id, item_id FROM findings WHERE number = ?", [number]) == [(site, item)]


def test_the_worked_case_is_in_with_its_community_committee(parted):
    case = rows(
        parted[0],
        "SELECT f.item_id, f.responsible_unit FROM findings f JOIN sites s ON s.id = f.site_id "
        "WHERE s.code = 'CC-ISO-001' AND f.description LIKE '%党委书记%' ORDER BY f.item_id DESC",
    )
    assert [item for item, _ in case] == ["QT-04", "PPE-01"]
    assert {unit for _, unit in case} == {"光明社区居委会"}
    assert parted[1].worked_case


def test_generated_sites_have_chinese_names_over_many_districts(parted):
    sites = rows(parted[0], "SELECT code, name_zh, name_en, kind, district_zh, unit_zh FROM sites")
    generated = [s for s in sites if not s[0].startswith("CC-")]
    assert len(generated) == 900 - 195
    assert len({s[0] for s in sites}) == len(sites)
    assert {s[3] for s in generated} == {kind.value for kind in SiteKind}
    assert len({s[4] for s in generated}) > 50
    for code, name_zh, name_en, _, district, unit in generated:
        assert re.fullmatch(r"[A-Z]{2}\d{2}-[A-Z]{3}-\d{5}", code)
        assert re.search(r"[\u4e00-\u9fff]", name_zh) and re.search(r"[\u4e00-\u9fff]", unit)
        assert district.endswith(("区", "县", "市")) and re.match(r"[A-Z]", name_en)


def test_a_province_has_thirteen_cities_and_about_a_hundred_districts():
    assert len({code[:2] for code, _, _ in DISTRICTS}) == 13
    assert 90 <= len(DISTRICTS) <= 110
    rows_ = province_sites(np.random.default_rng(1), 50, taken={"NJ01-COM-00001"})
    assert "NJ01-COM-00001" not in {row["code"] for row in rows_}


def test_parts_stay_small_however_many_findings_are_asked_for(tmp_path):
    """Memory follows the part: at ten times the load, the parts are as large, only more of them."""
    sites = [site for site in _sites(tmp_path)]
    catalogue = Catalogue.of(CHECKLISTS)
    allowed = applicable(sites, catalogue)
    small = split(sites, allowed, 100_000, 5_000)
    large = split(sites, allowed, 1_000_000, 5_000)
    for parts, total in ((small, 100_000), (large, 1_000_000)):
        assert sum(part.count for part in parts) == total
        assert max(part.count for part in parts) < 1.5 * 5_000
        covered = np.concatenate([part.sites for part in parts])
        assert len(covered) == len(set(covered.tolist()))  # no site in two parts
    assert len(large) >= 9 * len(small)
    plan = Plan.make(1, sites, CHECKLISTS, 1_000_000, 1_700_000_000, 5_000)
    assert [part.count for part in plan.parts] == [part.count for part in large]


def test_one_part_needs_no_second_drawing_and_matches_the_first_pass(tmp_path):
    sites = _sites(tmp_path)
    plan = Plan.make(3, sites, CHECKLISTS, 4_000, 1_700_000_000, 1_000)
    found = plan.found(2)
    tables, _ = plan.tables(2, np.arange(1, len(found) + 1))
    assert tables["findings"].num_rows == len(found) == plan.parts[2].count
    assert sorted(tables["findings"]["found_at"].cast("int64").to_pylist()) == (found * 1_000_000).tolist()


def test_a_new_file_is_built_part_by_part_and_renamed(tmp_path):
    target = tmp_path / "audit.duckdb"
    report = generate_file(target, CHECKLISTS, findings=1200, seed=2, now=NOW, part_findings=400)
    assert report.findings == 1200 and [p.name for p in tmp_path.iterdir()] == ["audit.duckdb"]
    database = open_database(target)
    try:
        assert len(rows(database, "SELECT seq FROM audit_log")) >= 3
        with database.read() as cursor:
            assert audit_log.verify(cursor).ok
    finally:
        database.close()


def _sites(tmp_path):
    from audit.store.sites import list_sites

    database = open_database(tmp_path / "sites.duckdb")
    try:
        generate(database, CHECKLISTS, findings=0, now=NOW, sites=3000)
        with database.read() as cursor:
            return list_sites(cursor)
    finally:
        database.close()


def test_progress_is_reported_part_by_part_and_only_forward(tmp_path):
    reports = []
    database = open_database(tmp_path / "progress.duckdb")
    try:
        generate(
            database,
            CHECKLISTS,
            findings=900,
            seed=4,
            now=NOW,
            part_findings=300,
            progress=lambda stage, done: reports.append((stage, done)),
        )
    finally:
        database.close()
    done = [fraction for _, fraction in reports]
    assert done == sorted(done) and done[-1] == 1.0
    assert sum(stage == "saving findings" for stage, _ in reports) == 3


def test_ids_made_with_a_stamp_are_version_7_of_that_time_and_draw_the_same_randomness():
    stamp = 1_774_000_000_123
    stamped = uuid_strings(np.random.default_rng(5), 50, stamp).to_pylist()
    plain = uuid_strings(np.random.default_rng(5), 50).to_pylist()
    assert {UUID(text).version for text in stamped} == {7} and {UUID(text).version for text in plain} == {4}
    assert {UUID(text).int >> 80 for text in stamped} == {stamp}
    assert [text[19:] for text in stamped] == [text[19:] for text in plain]  # the random tail is the same draw
    later = uuid_strings(np.random.default_rng(6), 50, stamp + 1).to_pylist()
    assert max(stamped) < min(later)


def test_each_part_of_a_new_file_has_ids_after_the_part_before(tmp_path):
    """Each part's keys go to the end of the indexes, so a load touches only their newest nodes."""
    target = tmp_path / "ordered.duckdb"
    generate_file(target, CHECKLISTS, findings=1500, seed=3, now=NOW, part_findings=500)
    database = open_database(target)
    try:
        ranges = rows(
            database,
            "SELECT seq, min(row_key), max(row_key) FROM audit_log_rows "
            "WHERE table_name IN ('inspections', 'findings') GROUP BY seq ORDER BY seq",
        )
    finally:
        database.close()
    assert len(ranges) >= 3
    for (_, _, last), (_, first, _) in zip(ranges, ranges[1:]):
        assert last < first


def test_a_new_file_in_parts_gives_the_same_rows_for_the_same_seed(tmp_path):
    made = []
    for name in ("one", "two"):
        generate_file(tmp_path / f"{name}.duckdb", CHECKLISTS, findings=1200, seed=9, now=NOW, part_findings=400)
        database = open_database(tmp_path / f"{name}.duckdb")
        try:
            made.append(
                {
                    table: rows(database, f"SELECT * FROM {table} ORDER BY ALL")
                    for table in ("inspections", "responses", "findings", "finding_events")
                }
            )
        finally:
            database.close()
    assert made[0] == made[1] and len(made[0]["findings"]) == 1200


def test_reopening_between_parts_gives_back_what_an_index_gained_and_keeps_the_load_settings(tmp_path):
    """DuckDB holds an index's new nodes in memory, past its limit, until written and reopened."""
    database = open_database(tmp_path / "reopen.duckdb")
    try:
        demo_store.set_for_load(database, 300)
        with database.write() as cursor:
            cursor.execute(
                "INSERT INTO finding_events (id, finding_id, happened_at, actor, action, to_status) "
                "SELECT uuid()::VARCHAR, uuid()::VARCHAR, TIMESTAMP '2026-01-01', 'a', 'found', 'open' FROM range(200000)"
            )
        held = "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'ART_INDEX'"
        assert rows(database, held)[0][0] > 0
        demo_store.release_memory(database, 300)
        assert rows(database, held) == [(0,)]
        assert rows(database, "SELECT current_setting('memory_limit')") == [("286.1 MiB",)]  # 300 MB
        assert rows(database, "SELECT current_setting('threads')") == [(1,)]
        assert rows(database, "SELECT count(*) FROM finding_events") == [(200_000,)]
    finally:
        database.close()


def test_the_next_part_is_drawn_on_a_second_thread_while_the_part_before_is_committed(tmp_path, monkeypatch):
    """Drawing (numpy, Arrow) and committing (DuckDB) both leave the GIL: two cores where there are two.

    Each part is drawn only after the part before was saved, so one part's tables are held at a time,
    and the file is released between parts only once the next part's drawing has begun.
    """
    events, threads, begun = [], set(), {}
    tables, logged, released = Plan.tables, demo_store.log_generated, demo_store.release_memory

    def draw(plan, number, sequence):
        threads.add(threading.current_thread())
        events.append(("drawn", number))
        begun.setdefault(number, threading.Event()).set()
        return tables(plan, number, sequence)

    def log(cursor, table_names, **options):
        events.append(("saved", options["after"]["part"] - 1))
        return logged(cursor, table_names, **options)

    def release(database, megabytes):
        number = sum(kind == "saved" for kind, _ in events)  # the part saved next
        assert begun.setdefault(number, threading.Event()).wait(timeout=60), f"part {number} is not being drawn"
        events.append(("released", number))
        return released(database, megabytes)

    monkeypatch.setattr(Plan, "tables", draw)
    monkeypatch.setattr(demo_store, "log_generated", log)
    monkeypatch.setattr(demo_store, "release_memory", release)
    generate_file(tmp_path / "drawn.duckdb", CHECKLISTS, findings=1200, seed=5, now=NOW, part_findings=400)

    parts = sum(kind == "drawn" for kind, _ in events)
    assert parts >= 3 and threading.main_thread() not in threads
    for number in range(1, parts):
        steps = [
            events.index(("saved", number - 1)),
            events.index(("drawn", number)),
            events.index(("released", number)),
        ]
        assert steps == sorted(steps), events
