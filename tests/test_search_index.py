"""The ledger's search through distinct descriptions finds exactly what reading every description finds.

Each term is run both ways over the same findings (generated ones and some with awkward text), and the
tables stay in step with the findings after a single write, a bulk load, a migration and a repair.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from click.testing import CliRunner

from audit.checklists import load_checklists
from audit.cli import cli
from audit.demo import generate
from audit.model import FindingFilter, Status
from audit.store import ledger_counts, open_database, search_index
from audit.store.filters import search_condition
from audit.store.findings import insert_finding, raise_sequence, update_finding
from audit.store.ledger import ledger_slice
from tests.conftest import ROOT
from tests.factories import LEDGER_TODAY, make_finding

NOW = datetime(2026, 3, 5, 14, 0)
# Text a demo never writes: Latin in every case, letters whose lower case is another letter, codes, marks.
AWKWARD = (
    "PPE-01 Mask worn BELOW the nose; 口罩未遮住鼻子",
    "İstanbul office: ǅ digraph, Kelvin K, straße",
    "温度 36.5°C，记录表编号 QT-04/2026",
    "消毒记录缺失 100% 未完成_待补",
    "口",
    "",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "audit.duckdb"
    database = open_database(path)
    generate(database, load_checklists(ROOT / "checklists").checklists, findings=800, seed=5, now=NOW)
    with database.write() as cursor:
        for index, text in enumerate(AWKWARD):
            insert_finding(cursor, make_finding(f"2026-9{index:03d}", description=text))
        raise_sequence(cursor, 2026, 9999)  # numbers given by hand, as an import keeps them
        # Numbers an imported ledger kept, not of the app's form: searched through the texts.
        insert_finding(cursor, make_finding("旧台账-A17", description=AWKWARD[0]))
        insert_finding(cursor, make_finding("2019/QT-04", description="口"))
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


def found(cursor, term: str, *, every_finding: bool = False) -> set[str]:
    clause, params = search_condition(term, every_finding=every_finding)
    return {row[0] for row in cursor.execute(f"SELECT f.id FROM findings f WHERE {clause}", params).fetchall()}


def terms(cursor) -> list[str]:
    """Pieces of real descriptions (every one-character piece of a few, longer ones), numbers and the awkward words."""
    texts = [
        row[0] for row in cursor.execute("SELECT DISTINCT description FROM findings ORDER BY 1 LIMIT 40").fetchall()
    ]
    pieces = {text[i : i + n] for text in texts[:6] for n in (1, 2, 3) for i in range(len(text))}
    pieces |= {text[3:12] for text in texts} | {text[-2:] for text in texts} | {text[-1] for text in texts if text}
    number = cursor.execute("SELECT min(number) FROM findings").fetchone()[0]
    pieces |= {number, number[:6], number[-3:]}
    pieces |= {"ppe", "PPE", "Mask", "mask worn below", "istanbul", "İSTANBUL", "ǆ", "ǅ", "k", "K", "STRASSE"}
    pieces |= {"straße", "36.5", "°c", "qt-04", "2026", "100%", "_待", "%", "_", "口", "口罩", "鼻", "无此问题"}
    pieces |= {"旧台账", "a17", "账-", "2019/", "/", "9/q", "-", "17"}
    return sorted(piece for piece in pieces if piece.strip())


def test_every_term_finds_what_reading_every_finding_finds(demo):
    connection = duckdb.connect(str(demo), read_only=True)
    try:
        cursor = connection.cursor()
        checked = terms(cursor)
        assert len(checked) > 200
        hits = 0
        for term in checked:
            through_texts = found(cursor, term)
            assert through_texts == found(cursor, term, every_finding=True), term
            hits += bool(through_texts)
        assert hits > len(checked) * 0.8  # the terms mostly match something: the comparison means something
    finally:
        connection.close()


def test_cases_and_single_characters_are_matched_as_before(demo):
    connection = duckdb.connect(str(demo), read_only=True)
    try:
        cursor = connection.cursor()
        numbers = {}
        for term in ("PPE", "ppe", "İSTANBUL", "口", "鼻", "旧台账", "a17", "/QT"):
            ids = list(found(cursor, term))
            rows = cursor.execute("SELECT number FROM findings WHERE list_contains($ids, id)", {"ids": ids})
            numbers[term] = {row[0] for row in rows.fetchall()}
    finally:
        connection.close()
    assert numbers["PPE"] == numbers["ppe"] == {"2026-9000", "旧台账-A17"}
    assert numbers["旧台账"] == numbers["a17"] == {"旧台账-A17"}
    assert numbers["/QT"] == {"2019/QT-04"}
    assert numbers["İSTANBUL"] == {"2026-9001"}
    assert {"2026-9000", "2026-9004"} <= numbers["口"]
    assert "2026-9000" in numbers["鼻"]


def test_the_ledger_searches_through_the_texts(demo):
    """A page of the ledger with a search reads the texts, and counts what reading every description counts."""
    database = open_database(demo)
    try:
        with database.read() as cursor:
            term = cursor.execute("SELECT substring(min(description), 4, 2) FROM findings").fetchone()[0]
            rows, total, _ = ledger_slice(cursor, FindingFilter(search=term), LEDGER_TODAY, language="zh-CN")
            assert total == len(found(cursor, term, every_finding=True)) > 0
            assert all(term in row.description or term in row.number for row in rows)
            plan = "\n".join(
                row[1]
                for row in cursor.execute(
                    f"EXPLAIN SELECT count(*) FROM findings f WHERE {search_condition(term)[0]}",
                    search_condition(term)[1],
                ).fetchall()
            )
            assert "search_texts" in plan
    finally:
        database.close()


def test_demo_load_and_single_writes_keep_the_texts(demo_copy):
    database = open_database(demo_copy)
    try:
        with database.read() as cursor:
            assert search_index.drift(cursor) == {"keys": 0, "texts": 0, "grams": 0}
            assert (
                cursor.execute("SELECT count(*) FROM search_texts").fetchone()[0]
                < cursor.execute("SELECT count(*) FROM findings").fetchone()[0]
            )
        with database.write() as cursor:
            insert_finding(cursor, make_finding("2026-9100", description="新写的问题：消毒液过期"))
            insert_finding(cursor, make_finding("2026-9101", description="新写的问题：消毒液过期"))
        with database.read() as cursor:
            assert search_index.drift(cursor) == {"keys": 0, "texts": 0, "grams": 0}
            assert len(found(cursor, "液过期")) == 2
            assert (
                cursor.execute(
                    "SELECT count(*) FROM search_texts WHERE description = '新写的问题：消毒液过期'"
                ).fetchone()[0]
                == 1
            )
    finally:
        database.close()


def test_a_database_made_before_the_search_texts_gets_them_on_opening(demo_copy):
    sql(
        demo_copy,
        # The findings as they were (a column with an index on its table cannot be dropped: copied without it).
        "CREATE TABLE before AS SELECT * EXCLUDE (search_key) FROM findings; DROP TABLE findings; "
        "ALTER TABLE before RENAME TO findings; DROP TABLE search_grams; DROP TABLE search_texts; "
        "DELETE FROM _migrations WHERE number = 75",
    )
    database = open_database(demo_copy)
    try:
        with database.read() as cursor:
            assert search_index.drift(cursor) == {"keys": 0, "texts": 0, "grams": 0}
            assert found(cursor, "口罩") == found(cursor, "口罩", every_finding=True) != set()
    finally:
        database.close()
    result = CliRunner().invoke(cli, ["check", "--db", str(demo_copy)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM search_texts WHERE key = (SELECT min(key) FROM search_texts)",
        "DELETE FROM search_grams WHERE gram = (SELECT min(gram) FROM search_grams)",
        "UPDATE findings SET search_key = NULL WHERE number = '2026-9000'",
    ],
    ids=["text deleted", "pair deleted", "key lost"],
)
def test_check_names_search_texts_that_drifted_and_repair_makes_them_again(demo_copy, tamper):
    sql(demo_copy, tamper)
    result = CliRunner().invoke(cli, ["check", "--db", str(demo_copy)])
    assert result.exit_code == 1
    assert "search's distinct texts" in result.output
    repaired = CliRunner().invoke(cli, ["check", "--repair", "--db", str(demo_copy)])
    assert repaired.exit_code == 0, repaired.output
    with duckdb.connect(str(demo_copy), read_only=True) as connection:
        cursor = connection.cursor()
        assert search_index.drift(cursor) == {"keys": 0, "texts": 0, "grams": 0}
        assert found(cursor, "PPE") == found(cursor, "PPE", every_finding=True) != set()


def test_single_writes_keep_the_search_and_the_counts_on_either_backend(any_db):
    """On a lake too (no indexes, no unique keys): the same texts, grams and counts from the same writes."""
    with any_db.write() as cursor:
        for index, text in enumerate(AWKWARD):
            insert_finding(cursor, make_finding(f"2026-{index + 1:04d}", description=text))
        insert_finding(cursor, make_finding("旧台账-A17", description=AWKWARD[0]))
        raise_sequence(cursor, 2026, len(AWKWARD))
    with any_db.write() as cursor:
        finding_id = cursor.execute("SELECT id FROM findings WHERE number = '2026-0001'").fetchone()[0]
        update_finding(cursor, finding_id, 1, {"status": Status.CLOSED}, actor="t", now=NOW)
    with any_db.read() as cursor:
        for term in ("PPE", "ppe", "口罩", "口", "k", "QT-04", "2026-0002", "旧台账", "%", "无此问题"):
            assert found(cursor, term) == found(cursor, term, every_finding=True), term
        assert len(found(cursor, "ppe")) == 2
        assert search_index.drift(cursor) == {"keys": 0, "texts": 0, "grams": 0}
        assert ledger_counts.drift(cursor) == 0
