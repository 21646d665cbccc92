"""The demo generator: realistic, consistent, deterministic for a seed, and all-or-nothing."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from audit import demo
from audit.checklists import load_checklists
from audit.cli import cli
from audit.demo import generate, generate_file
from audit.errors import InvalidInput
from audit.model import (
    REPEAT_WINDOW_DAYS,
    Checklist,
    Comparison,
    Item,
    Limit,
    Overdue,
    ResponseType,
    Role,
    Section,
    Severity,
    SiteKind,
    Status,
    Text,
    overdue_colour,
)
from audit.services.accounts import authenticate
from audit.store import audit_log, open_database
from tests.conftest import ROOT

NOW = datetime(2026, 3, 20, 9, 30)
FINDINGS = 2000
K = SiteKind


def item(item_id: str, zh: str, severity=Severity.MAJOR, response=ResponseType.PASS_FAIL, limit=None) -> Item:
    return Item(item_id, Text(zh, item_id), severity, response, limit)


def checklist(checklist_id: str, kinds, *items: Item) -> Checklist:
    """A checklist of realistic length: the given items and a second section of routine ones."""
    routine = tuple(item(f"{checklist_id}-R{n}", f"{checklist_id}日常检查第{n}项") for n in range(1, 6))
    return Checklist(
        checklist_id,
        3,
        Text(checklist_id, checklist_id),
        tuple(kinds),
        (Section("main", Text("主要", "Main"), items), Section("routine", Text("日常", "Routine"), routine)),
        content_hash=f"hash-{checklist_id}",
    )


CHECKLISTS = [
    checklist(
        "quarantine_transfer",
        (K.ISOLATION_POINT, K.COMMUNITY, K.CHECKPOINT),
        item("QT-01", "集中隔离人员信息表已逐人填写完整"),
        item("QT-03", "使用专用转运车辆，不使用私家车", Severity.CRITICAL),
        item("QT-04", "工作人员不与拟隔离人员同乘一车，按规定流程转运", Severity.CRITICAL),
        item("QT-07", "转运车辆每次转运后立即消毒"),
    ),
    checklist(
        "ppe_use",
        (K.ISOLATION_POINT, K.FEVER_CLINIC, K.HOSPITAL, K.COMMUNITY, K.CHECKPOINT),
        item("PPE-01", "接触拟隔离人员时佩戴医用防护口罩，仅戴一层普通口罩不合格", Severity.CRITICAL),
        item("PPE-02", "口罩佩戴规范", Severity.MINOR),
        item("PPE-03", "接触人员、物品或垃圾时佩戴手套"),
    ),
    checklist(
        "isolation_point",
        (K.ISOLATION_POINT, K.ENTERPRISE),
        item("IP-01", "每个隔离房间门上张贴隔离告知书"),
        item(
            "IP-06", "每人每日测温次数", Severity.CRITICAL, ResponseType.NUMBER, Limit(Comparison.AT_LEAST, 2, "次/天")
        ),
        item("IP-09", "备注", Severity.MINOR, ResponseType.TEXT),
    ),
    checklist(
        "food_safety",
        (K.ENTERPRISE,),
        item(
            "FS-01",
            "糕点过氧化值（以脂肪计）",
            Severity.CRITICAL,
            ResponseType.NUMBER,
            Limit(Comparison.AT_MOST, 0.25, "g/100 g"),
        ),
        item("FS-02", "冷冻食品储存温度", Severity.MAJOR, ResponseType.NUMBER, Limit(Comparison.AT_MOST, -18, "°C")),
        item("FS-03", "从业人员持有效健康证明"),
    ),
    checklist(
        "fever_clinic",
        (K.FEVER_CLINIC, K.HOSPITAL, K.COMMUNITY_HEALTH_CENTRE),
        item("FC-01", "入口设预检分诊点", Severity.CRITICAL),
        item("FC-06", "候诊患者之间的间距", Severity.MINOR, ResponseType.NUMBER, Limit(Comparison.AT_LEAST, 1, "米")),
        item("FC-07", "发热门诊24小时接诊"),
    ),
]
BY_ID = {c.id: c for c in CHECKLISTS}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One generated database shared by the read-only checks below."""
    database = open_database(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    report = generate(database, CHECKLISTS, findings=FINDINGS, seed=7, now=NOW)
    yield database, report
    database.close()


def rows(database, sql: str, params=None) -> list[tuple]:
    with database.read() as cursor:
        return cursor.execute(sql, params or []).fetchall()


def test_counts_follow_the_request(made):
    database, report = made
    ((findings, inspections, responses, events),) = rows(
        database,
        "SELECT (SELECT count(*) FROM findings), "
        "(SELECT count(*) FROM inspections), (SELECT count(*) FROM "
        "responses), (SELECT count(*) FROM finding_events)",
    )
    assert findings == report.findings == FINDINGS
    assert abs(inspections - FINDINGS / 3) < FINDINGS / 30
    assert (inspections, responses, events) == (report.inspections, report.responses, report.events)
    assert report.sites == len(rows(database, "SELECT id FROM sites")) > 150


def test_every_inspection_answers_every_item_of_a_checklist_that_applies_to_its_site(made):
    database, _ = made
    inspections = rows(
        database,
        "SELECT i.checklist_id, i.checklist_version, i.checklist_hash, s.kind, "
        "list(r.item_id ORDER BY r.answered_at) FROM inspections i JOIN sites s "
        "ON s.id = i.site_id JOIN responses r ON r.inspection_id = i.id "
        "GROUP BY i.id, i.checklist_id, i.checklist_version, i.checklist_hash, s.kind",
    )
    assert len(inspections) == made[1].inspections
    for checklist_id, version, content_hash, kind, items in inspections:
        used = BY_ID[checklist_id]
        assert (version, content_hash) == (used.version, used.content_hash)
        assert used.applies_to(SiteKind(kind))
        assert items == [i.id for i in used.items]


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not(made, tmp_path):
    first, _ = made
    again = open_database(tmp_path / "again.duckdb")
    other = open_database(tmp_path / "other.duckdb")
    generate(again, CHECKLISTS, findings=FINDINGS, seed=7, now=NOW)
    generate(other, CHECKLISTS, findings=FINDINGS, seed=8, now=NOW)
    for table in ("sites", "inspections", "responses", "findings", "finding_events"):
        query = (
            f"SELECT * EXCLUDE (updated_at, updated_by) FROM {table} ORDER BY ALL"
            if table == "sites"
            else f"SELECT * FROM {table} ORDER BY ALL"
        )
        assert rows(first, query) == rows(again, query), table
        if table != "sites":
            assert rows(first, query) != rows(other, query), table
    again.close()
    other.close()


def test_findings_are_in_every_state_and_mostly_closed(made):
    counts = dict(rows(made[0], "SELECT status, count(*) FROM findings GROUP BY status"))
    assert set(counts) == {s.value for s in Status}
    assert counts["closed"] > 0.8 * FINDINGS
    old_open = rows(
        made[0], "SELECT count(*) FROM findings WHERE status <> 'closed' AND found_at < ?", [NOW - timedelta(days=180)]
    )[0][0]
    old = rows(made[0], "SELECT count(*) FROM findings WHERE found_at < ?", [NOW - timedelta(days=180)])[0][0]
    assert old_open < 0.05 * old


def test_some_findings_are_overdue_by_a_few_days_and_some_by_more_than_a_week(made):
    findings = rows(made[0], "SELECT deadline, status FROM findings")
    colours = {overdue_colour(deadline, Status(status), NOW.date()) for deadline, status in findings}
    assert {Overdue.YELLOW, Overdue.RED} <= colours


def test_repeats_point_to_an_earlier_finding_at_the_same_site_and_item_within_90_days(made):
    pairs = rows(
        made[0],
        "SELECT f.is_repeat, f.found_at, f.site_id, f.checklist_id, f.item_id, e.found_at, "
        "e.site_id, e.checklist_id, e.item_id FROM findings f "
        "LEFT JOIN findings e ON e.id = f.repeat_of",
    )
    repeats = [p for p in pairs if p[0]]
    assert 0.02 * FINDINGS < len(repeats) < 0.5 * FINDINGS
    for _, found, *where, earlier_found, e_site, e_checklist, e_item in repeats:
        assert where == [e_site, e_checklist, e_item]
        assert timedelta(0) <= found - earlier_found <= timedelta(days=REPEAT_WINDOW_DAYS)
    assert all(p[5] is None for p in pairs if not p[0])


def test_no_repeat_goes_unmarked(made):
    unmarked = rows(
        made[0],
        f"""
        SELECT count(*) FROM (
            SELECT is_repeat, found_at - lag(found_at) OVER (
                PARTITION BY site_id, checklist_id, item_id ORDER BY found_at, number) AS gap
            FROM findings)
        WHERE NOT is_repeat AND gap <= INTERVAL {REPEAT_WINDOW_DAYS} DAY""",
    )[0][0]
    assert unmarked == 0


def test_closed_findings_were_verified_by_someone_other_than_who_reported_the_fix(made):
    closed = rows(
        made[0], "SELECT verifier, reported_by, closed_at, fix_report, found_at FROM findings WHERE status = 'closed'"
    )
    assert closed
    for verifier, reported_by, closed_at, fix_report, found_at in closed:
        assert verifier and reported_by and verifier != reported_by
        assert found_at < closed_at <= NOW and fix_report
    assert rows(made[0], "SELECT count(*) FROM findings WHERE status <> 'closed' AND closed_at IS NOT NULL") == [(0,)]


def test_each_findings_events_lead_step_by_step_to_its_status(made):
    histories = rows(
        made[0],
        "SELECT f.status, f.version, list([e.action, e.from_status, e.to_status] "
        "ORDER BY e.happened_at) FROM findings f JOIN finding_events e "
        "ON e.finding_id = f.id GROUP BY f.id, f.status, f.version",
    )
    assert len(histories) == FINDINGS
    for status, version, steps in histories:
        assert steps[0] == ["found", None, "open"]
        for before, after in zip(steps, steps[1:]):
            assert after[1] == before[2]
        assert steps[-1][2] == status and len(steps) == version
    actions = {a for (a,) in rows(made[0], "SELECT DISTINCT action FROM finding_events")}
    assert actions == {"found", "reported", "accepted", "rejected", "reopened"}


def test_finding_numbers_run_per_year_in_the_order_found_and_the_sequence_continues(made, tmp_path):
    numbers = rows(made[0], "SELECT number, year(found_at) FROM findings ORDER BY found_at, number")
    assert len({n for n, _ in numbers}) == FINDINGS
    last = {}
    for number, year in numbers:
        prefix, sequence = number.split("-")
        assert int(prefix) == year and int(sequence) == last.get(year, 0) + 1
        last[year] = int(sequence)
    assert dict(rows(made[0], "SELECT name, value FROM sequences")) == {f"finding-{y}": v for y, v in last.items()}


def test_a_second_load_continues_the_numbers(tmp_path):
    database = open_database(tmp_path / "twice.duckdb")
    generate(database, CHECKLISTS, findings=30, seed=1, now=NOW)
    generate(database, CHECKLISTS, findings=30, seed=2, now=NOW)
    numbers = rows(database, "SELECT number FROM findings")
    per_year = rows(database, "SELECT year(found_at), count(*) FROM findings GROUP BY ALL")
    assert len({n for (n,) in numbers}) == 60
    assert dict(rows(database, "SELECT name, value FROM sequences")) == {f"finding-{y}": c for y, c in per_year}
    database.close()


def test_the_worked_case_from_the_article_is_a_closed_finding_pair_late_at_night(made):
    case = rows(
        made[0],
        "SELECT f.item_id, f.found_at, f.description, f.immediate_measure, f.status, f.fix_report, "
        "f.verifier, f.reported_by, f.severity, s.kind FROM findings f JOIN sites s ON s.id = f.site_id "
        "WHERE s.code = 'CC-ISO-001' AND f.item_id IN ('QT-04', 'PPE-01') AND hour(f.found_at) = 23 "
        "AND f.description LIKE '%党委书记%' ORDER BY f.item_id DESC",
    )
    assert [c[0] for c in case] == ["QT-04", "PPE-01"]
    transfer, mask = case
    assert transfer[1].date() == mask[1].date() and abs(transfer[1] - mask[1]) < timedelta(minutes=15)
    assert "私家车" in transfer[2] and "6.5公里" in transfer[2] and "一层普通口罩" in mask[2]
    for _, _, _, measure, status, fix, verifier, reported_by, severity, kind in case:
        assert "隔离" in measure and "消毒" in measure
        assert status == "closed" and "隔离期满" in fix and verifier != reported_by
        assert kind == "isolation_point" and severity == "critical"


def test_measured_items_are_out_of_limit_exactly_when_they_failed(made):
    answers = rows(made[0], "SELECT r.item_id, r.result, r.value FROM responses r WHERE r.value IS NOT NULL")
    limits = {i.id: i.limit for c in CHECKLISTS for i in c.items if i.limit}
    assert {item for item, _, _ in answers} == set(limits)
    failed = [a for a in answers if a[1] == "fail"]
    assert failed
    for item_id, result, value in answers:
        assert limits[item_id].accepts(value) == (result == "pass"), (item_id, result, value)
    described = rows(
        made[0],
        "SELECT f.description, r.value FROM findings f JOIN responses r "
        "ON r.inspection_id = f.inspection_id AND r.item_id = f.item_id WHERE r.value IS NOT NULL",
    )
    assert described and all(f"{value:g}" in text for text, value in described)


def test_inspections_lie_in_the_last_18_months_and_nothing_is_in_the_future(made):
    ((first, last, submitted, events),) = rows(
        made[0],
        "SELECT min(started_at), max(started_at), max(submitted_at), "
        "(SELECT max(happened_at) FROM finding_events) FROM inspections",
    )
    assert NOW - timedelta(days=548) <= first < NOW - timedelta(days=500)
    assert NOW - timedelta(days=7) < last and submitted <= NOW and events <= NOW
    halves = rows(
        made[0],
        "SELECT started_at > ? AS recent, count(*) FROM inspections GROUP BY ALL ORDER BY ALL",
        [NOW - timedelta(days=274)],
    )
    assert halves[1][1] > halves[0][1]  # the recent half is busier
    late = rows(made[0], "SELECT count(*) FROM inspections WHERE hour(started_at) >= 20")[0][0]
    assert 0.05 * made[1].inspections < late < 0.25 * made[1].inspections


def test_failures_cluster_on_some_sites(made):
    per_site = [n for (n,) in rows(made[0], "SELECT count(*) FROM findings GROUP BY site_id ORDER BY 1 DESC")]
    top_tenth = sum(per_site[: max(1, len(per_site) // 10)])
    assert top_tenth > 0.25 * FINDINGS


def test_one_audit_entry_records_the_load_and_the_chain_verifies(made):
    entries = rows(made[0], "SELECT action, after::VARCHAR FROM audit_log")
    assert [e[0] for e in entries] == ["demo.generated"]
    assert f'"findings":{FINDINGS}' in entries[0][1]
    with made[0].read() as cursor:
        assert audit_log.verify(cursor).ok


def test_a_failed_run_leaves_no_database_behind(tmp_path, monkeypatch):
    def broken(cursor, table, rows):
        if table == "findings":
            raise RuntimeError("disk unplugged")
        cursor.execute("SELECT 1")

    monkeypatch.setattr(demo.store, "insert_table", broken)
    target = tmp_path / "audit.duckdb"
    with pytest.raises(RuntimeError):
        generate_file(target, CHECKLISTS, findings=100, seed=1, now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_generating_into_a_new_file_renames_it_into_place(tmp_path):
    target = tmp_path / "audit.duckdb"
    report = generate_file(target, CHECKLISTS, findings=50, seed=1, now=NOW)
    assert report.findings == 50 and [p.name for p in tmp_path.iterdir()] == ["audit.duckdb"]


def test_checklists_that_fit_no_site_are_refused_plainly(db):
    with pytest.raises(InvalidInput, match="None of the checklists applies"):
        generate(db, [checklist("no_kinds", ())], findings=10, now=NOW)
    with db.read() as cursor:
        assert cursor.execute("SELECT count(*) FROM sites").fetchone() == (0,)


def test_zero_findings_loads_only_the_site_registry(db):
    report = generate(db, CHECKLISTS, findings=0, now=NOW)
    assert report.sites > 150 and (report.inspections, report.findings) == (0, 0)


@pytest.fixture
def checklist_folder(tmp_path):
    """The shipped checklists and one broken file beside them."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    for path in (ROOT / "checklists").glob("*.yaml"):
        shutil.copy(path, folder)
    (folder / "broken.yaml").write_text("id: broken\nversion: [\n", encoding="utf-8")
    return folder


def test_cli_generates_and_prints_the_counts(tmp_path, checklist_folder):
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--findings",
            "300",
            "--seed",
            "3",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--checklists",
            str(checklist_folder),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'x.duckdb'}: 300 findings from" in result.output
    assert f"Skipped: {checklist_folder / 'broken.yaml'}:3" in result.output
    assert "account" not in result.output.lower()


def test_cli_accounts_flag_prints_the_demo_logins_once(tmp_path, checklist_folder):
    db_path = tmp_path / "x.duckdb"
    result = CliRunner().invoke(
        cli, ["demo", "--findings", "30", "--accounts", "--db", str(db_path), "--checklists", str(checklist_folder)]
    )
    assert result.exit_code == 0, result.output
    logins = [line.split() for line in result.output.splitlines() if line.startswith("  demo-")]
    assert sorted(role for _, role, _ in logins) == sorted(role.value for role in Role)
    database = open_database(db_path)
    try:
        for username, role, password in logins:
            assert result.output.count(password) == 1
            assert authenticate(database, username, password).role == Role(role)
    finally:
        database.close()


def test_cli_accounts_flag_fails_loudly_without_the_accounts_service(tmp_path, checklist_folder, monkeypatch):
    monkeypatch.delattr("audit.services.accounts.create_demo_accounts")
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--findings",
            "30",
            "--accounts",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--checklists",
            str(checklist_folder),
        ],
    )
    assert result.exit_code == 2 and "unexpected AttributeError" in result.output  # a bug, said as one


def test_the_shipped_checklists_carry_the_worked_case(tmp_path):
    loaded = load_checklists(ROOT / "checklists")
    database = open_database(tmp_path / "shipped.duckdb")
    report = generate(database, loaded.checklists, findings=600, seed=1, now=NOW)
    database.close()
    assert report.worked_case and report.findings == 600
