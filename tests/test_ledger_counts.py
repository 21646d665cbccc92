"""The ledger's counts of findings: a page's groups counted from them are those counted from the findings,
and they stay so through a bulk load, single writes, a migration and a repair."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest
from click.testing import CliRunner

from audit.checklists import load_checklists
from audit.cli import cli
from audit.demo import generate
from audit.model import FindingFilter, Overdue, Severity, Status
from audit.store import ledger_counts, open_database
from audit.store.findings import insert_finding, raise_sequence, update_finding
from audit.store.ledger import BUCKETED, _where, buckets, ledger_slice, set_source_words
from tests.conftest import ROOT
from tests.factories import make_finding

NOW = datetime(2026, 3, 5, 14, 0)
TODAY = NOW.date()
COVERED = [
    FindingFilter(),
    FindingFilter(statuses=(Status.OPEN, Status.REOPENED)),
    FindingFilter(colours=(Overdue.RED,)),
    FindingFilter(colours=(Overdue.NONE, Overdue.BLUE)),
    FindingFilter(severities=(Severity.CRITICAL,)),
    FindingFilter(checklist="isolation_point"),
    FindingFilter(checklist="旧台账检查表"),
    FindingFilter(repeats_only=True),
    FindingFilter(found_from=TODAY - timedelta(days=89), found_to=TODAY),
    FindingFilter(found_to=TODAY - timedelta(days=200), severities=(Severity.CRITICAL,)),
    FindingFilter(origin="supervision"),
    FindingFilter(origin="self", statuses=(Status.CLOSED,), severities=(Severity.MAJOR, Severity.MINOR)),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("counts") / "audit.duckdb"
    database = open_database(path)
    generate(database, load_checklists(ROOT / "checklists").checklists, findings=800, seed=11, now=NOW)
    database.close()
    return path


@pytest.fixture
def demo_copy(demo, tmp_path):
    target = tmp_path / "copy.duckdb"
    target.write_bytes(demo.read_bytes())
    return target


def same_groups(cursor) -> None:
    """Every BUCKETED sort, both ways, under every covered filter: the same groups from the counts."""
    for flt in COVERED:
        where, params = _where(flt, TODAY)
        for sort in BUCKETED:
            for descending in (False, True):
                counted = buckets(cursor, where, params, sort, descending, TODAY, from_counts=True)
                assert counted == buckets(cursor, where, params, sort, descending, TODAY), (flt, sort)


def test_only_filters_on_counted_columns_are_counted():
    assert all(ledger_counts.covers(flt) for flt in COVERED)
    for flt in (
        FindingFilter(unit="国胜社区居委会"),
        FindingFilter(search="口罩"),
        FindingFilter(subdistrict="凤凰街道"),
        FindingFilter(site="CC-ISO-001", statuses=(Status.OPEN,)),
    ):
        assert not ledger_counts.covers(flt)


def test_groups_from_the_counts_are_those_of_the_findings_after_writes(demo_copy):
    database = open_database(demo_copy)
    try:
        with database.read() as cursor:
            assert ledger_counts.drift(cursor) == 0
            same_groups(cursor)
            ids = [row[0] for row in cursor.execute("SELECT id FROM findings ORDER BY number LIMIT 6").fetchall()]
        with database.write() as cursor:
            update_finding(cursor, ids[0], 1, {"status": Status.CLOSED}, actor="t", now=NOW)
            update_finding(cursor, ids[1], 1, {"deadline": TODAY - timedelta(days=30)}, actor="t", now=NOW)
            update_finding(cursor, ids[2], 1, {"status": Status.REOPENED, "deadline": TODAY}, actor="t", now=NOW)
            update_finding(cursor, ids[3], 1, {"responsible_person": "王五"}, actor="t", now=NOW)
            set_source_words(cursor, ids[4], "旧台账检查表", "旧条目")
            insert_finding(cursor, make_finding("2026-9001", deadline=date(2026, 3, 1), severity=Severity.CRITICAL))
            raise_sequence(cursor, 2026, 9001)
        with database.read() as cursor:
            assert ledger_counts.drift(cursor) == 0
            same_groups(cursor)
            rows, total, _ = ledger_slice(
                cursor,
                FindingFilter(checklist="旧台账检查表"),
                TODAY,
                language="zh-CN",
                sort="overdue",
                descending=True,
            )
            assert total == 1 and rows[0].id == ids[4]
    finally:
        database.close()


def test_a_database_made_before_the_counts_gets_them_on_opening(demo_copy):
    with duckdb.connect(str(demo_copy)) as connection:
        connection.execute("DROP TABLE ledger_counts; DELETE FROM _migrations WHERE number = 76")
    database = open_database(demo_copy)
    try:
        with database.read() as cursor:
            assert ledger_counts.drift(cursor) == 0
    finally:
        database.close()


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE ledger_counts SET findings = findings + 1 WHERE rowid = 0",
        "DELETE FROM ledger_counts WHERE rowid = 0",
        "UPDATE findings SET status = 'closed' WHERE id = (SELECT min(id) FROM findings WHERE status = 'open')",
    ],
    ids=["count raised", "count lost", "finding closed behind its back"],
)
def test_check_names_counts_that_drifted_and_repair_makes_them_again(demo_copy, tamper):
    with duckdb.connect(str(demo_copy)) as connection:
        connection.execute(tamper)
    result = CliRunner().invoke(cli, ["check", "--db", str(demo_copy)])
    assert result.exit_code == 1
    assert "counts of findings differ" in result.output
    repaired = CliRunner().invoke(cli, ["check", "--repair", "--db", str(demo_copy)])
    assert repaired.exit_code == 0, repaired.output
    with duckdb.connect(str(demo_copy), read_only=True) as connection:
        assert ledger_counts.drift(connection.cursor()) == 0
