"""The queue of fixes awaiting verification: it agrees with the findings after every path that changes one.

The inspector's home reads the queue; each test compares the home's list with the same question asked
of the findings and inspections directly, and `python -m audit check` with the queue.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from click.testing import CliRunner

from audit.checklists import load_checklists
from audit.cli import cli
from audit.demo import generate
from audit.model import Inspection, Status, User
from audit.services import inspections, rectification, worklist
from audit.store import open_database, verification_queue
from audit.store.findings import insert_finding
from audit.store.inspections import insert_inspection
from tests.conftest import ROOT
from tests.factories import (
    INSPECTOR,
    SECOND_INSPECTOR,
    SUPERVISOR,
    UNIT,
    add_site,
    make_finding,
    make_site,
    store_accounts,
)

NOW = datetime(2026, 3, 5, 14, 0)


def direct(db, user: User) -> list[str]:
    """The numbers the home lists, asked of the findings and inspections themselves (oldest report first)."""
    with db.read() as cursor:
        rows = cursor.execute(
            """
            SELECT f.number FROM findings f JOIN inspections i ON i.id = f.inspection_id
            JOIN sites s ON s.id = f.site_id WHERE f.status = 'awaiting_verification' AND (i.created_by = ? OR list_contains(i.inspectors, ?))
            ORDER BY f.reported_at, f.id LIMIT 20
            """,
            [user.id, user.display_name],
        ).fetchall()
    return [row[0] for row in rows]


def home(db, user: User) -> list[str]:
    return [line.number for line in worklist.fixes_to_verify(db, user, language="zh-CN")]


def agrees(db, *users: User) -> None:
    for user in users:
        assert home(db, user) == direct(db, user)
    with db.read() as cursor:
        assert verification_queue.drift(cursor) == (0, [])


def inspection_by(db, author: User, team: list[str], id: str) -> str:
    site = add_site(db, make_site())
    with db.write() as cursor:
        insert_inspection(
            cursor,
            Inspection(
                id=id,
                site_id=site.id,
                checklist_id="isolation_point",
                checklist_version=1,
                checklist_hash="h",
                inspectors=team,
                started_at=datetime(2026, 3, 1, 9, 0),
                status="submitted",
                created_by=author.id,
            ),
        )
    return id


def finding_of(db, inspection_id: str, number: str, status: Status = Status.OPEN, **changes) -> str:
    with db.read() as cursor:
        site_id = cursor.execute("SELECT site_id FROM inspections WHERE id = ?", [inspection_id]).fetchone()[0]
    finding = make_finding(number, inspection_id=inspection_id, site_id=site_id, status=status, **changes)
    with db.write() as cursor:
        insert_finding(cursor, finding)
    return finding.id


def version(db, finding_id: str) -> int:
    with db.read() as cursor:
        return cursor.execute("SELECT version FROM findings WHERE id = ?", [finding_id]).fetchone()[0]


@pytest.fixture
def db(any_db):
    """Both backends: a lake keeps the queue without unique keys or indexes."""
    store_accounts(any_db, UNIT, INSPECTOR, SECOND_INSPECTOR, SUPERVISOR)
    return any_db


def test_every_step_of_a_finding_keeps_the_queue(db):
    mine = finding_of(db, inspection_by(db, INSPECTOR, ["陈明"], "by-chen"), "2026-0001")
    theirs = finding_of(db, inspection_by(db, SUPERVISOR, ["刘洋"], "by-wang"), "2026-0002")
    people = (INSPECTOR, SECOND_INSPECTOR, SUPERVISOR)
    agrees(db, *people)
    assert home(db, INSPECTOR) == []

    def step(call, finding_id, **values):
        call(db, values.pop("actor", UNIT), finding_id, version=version(db, finding_id), now=NOW, **values)
        agrees(db, *people)

    step(rectification.report_fix, mine, fix_report="已整改")
    step(rectification.report_fix, theirs, fix_report="已整改")
    assert home(db, INSPECTOR) == ["2026-0001"]
    assert home(db, SECOND_INSPECTOR) == ["2026-0002"]  # on the team by name
    assert home(db, SUPERVISOR) == ["2026-0002"]  # who made the inspection
    step(rectification.reassign, mine, actor=SUPERVISOR, responsible_person="张三")
    assert home(db, INSPECTOR) == ["2026-0001"]
    step(rectification.reject_fix, mine, actor=INSPECTOR, reason="照片不清")
    assert home(db, INSPECTOR) == []
    step(rectification.report_fix, mine, fix_report="重新整改")
    assert home(db, INSPECTOR) == ["2026-0001"]
    step(rectification.accept_fix, mine, actor=INSPECTOR)
    assert home(db, INSPECTOR) == []
    step(rectification.reopen, mine, actor=SUPERVISOR, reason="复查仍未整改")
    step(rectification.report_fix, mine, fix_report="第三次整改")
    assert home(db, INSPECTOR) == ["2026-0001"]


def test_a_finding_stored_awaiting_verification_is_queued(db):
    """An imported ledger's rows are stored in whatever state the old ledger had them."""
    finding_of(
        db,
        inspection_by(db, INSPECTOR, ["陈明"], "by-chen"),
        "2026-0007",
        Status.AWAITING_VERIFICATION,
        reported_at=NOW,
    )
    agrees(db, INSPECTOR, SECOND_INSPECTOR)
    assert home(db, INSPECTOR) == ["2026-0007"]


def test_a_corrected_team_moves_the_fix_to_the_new_team(db):
    inspection = inspection_by(db, SUPERVISOR, ["陈明"], "by-wang")
    finding = finding_of(db, inspection, "2026-0003")
    rectification.report_fix(db, UNIT, finding, version=version(db, finding), fix_report="已整改", now=NOW)
    assert home(db, INSPECTOR) == ["2026-0003"] and home(db, SECOND_INSPECTOR) == []
    inspections.correct_inspection(db, SUPERVISOR, inspection, reason="组员记错了", inspectors=["刘洋"], now=NOW)
    agrees(db, INSPECTOR, SECOND_INSPECTOR, SUPERVISOR)
    assert home(db, INSPECTOR) == [] and home(db, SECOND_INSPECTOR) == ["2026-0003"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Generated data: findings in every state, loaded in bulk past the single-row writes."""
    path = tmp_path_factory.mktemp("queue") / "audit.duckdb"
    database = open_database(path)
    generate(database, load_checklists(ROOT / "checklists").checklists, findings=600, seed=3, now=NOW)
    database.close()
    return path


@pytest.fixture
def demo_copy(demo, tmp_path):
    target = tmp_path / "copy.duckdb"
    target.write_bytes(demo.read_bytes())
    return target


def sql(path, statement: str, params=()):
    connection = duckdb.connect(str(path))
    try:
        return connection.execute(statement, list(params)).fetchall()
    finally:
        connection.close()


def busiest_inspector(path) -> User:
    """The demo's inspector with the most fixes awaiting verification, as an account of that name."""
    (name,) = sql(
        path,
        "SELECT name FROM (SELECT unnest(i.inspectors) AS name FROM findings f JOIN inspections i "
        "ON i.id = f.inspection_id WHERE f.status = 'awaiting_verification') GROUP BY name ORDER BY count(*) DESC, name "
        "LIMIT 1",
    )[0]
    return User(id="u-busy", username="busy", display_name=name, role=INSPECTOR.role)


def test_generated_data_is_queued(demo_copy):
    awaiting = sql(demo_copy, "SELECT count(*) FROM findings WHERE status = 'awaiting_verification'")[0][0]
    assert awaiting >= 3
    assert sql(demo_copy, "SELECT count(*) FROM verification_queue")[0][0] == awaiting
    database = open_database(demo_copy)
    try:
        busy = busiest_inspector(demo_copy)
        store_accounts(database, busy)
        assert home(database, busy)
        agrees(database, busy)
    finally:
        database.close()


def test_a_database_made_before_the_queue_gets_it_filled_on_opening(demo_copy):
    sql(demo_copy, "DROP TABLE verification_queue; DELETE FROM _migrations WHERE number = 85")
    database = open_database(demo_copy)
    database.close()
    awaiting = sql(demo_copy, "SELECT count(*) FROM findings WHERE status = 'awaiting_verification'")[0][0]
    assert sql(demo_copy, "SELECT count(*) FROM verification_queue")[0][0] == awaiting
    assert CliRunner().invoke(cli, ["check", "--db", str(demo_copy)]).exit_code == 0


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM verification_queue WHERE finding_id = (SELECT min(finding_id) FROM verification_queue)",
        "UPDATE findings SET status = 'closed' WHERE id = (SELECT min(finding_id) FROM verification_queue)",
        "UPDATE verification_queue SET inspectors = ['某人'] WHERE finding_id = (SELECT min(finding_id) FROM verification_queue)",
    ],
    ids=["row deleted", "finding closed behind its back", "team changed"],
)
def test_check_names_a_queue_that_drifted_and_repair_makes_it_again(demo_copy, tamper):
    (finding_id,) = sql(demo_copy, "SELECT min(finding_id) FROM verification_queue")[0]
    sql(demo_copy, tamper)
    result = CliRunner().invoke(cli, ["check", "--db", str(demo_copy)])
    assert result.exit_code == 1
    assert "fixes awaiting verification" in result.output and finding_id in result.output
    repaired = CliRunner().invoke(cli, ["check", "--repair", "--db", str(demo_copy)])
    assert repaired.exit_code == 0, repaired.output
    assert "it differed for 1 findings" in repaired.output
    database = open_database(demo_copy)
    try:
        with database.read() as cursor:
            assert verification_queue.drift(cursor) == (0, [])
    finally:
        database.close()
