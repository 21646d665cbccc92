"""Tampering with the audit log directly in DuckDB; `verify-log` names the entry every time."""

from __future__ import annotations

import re

import duckdb
import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.services import accounts
from audit.store import audit_log, open_database
from tests.conftest import ROOT

ENTRIES = 6


@pytest.fixture
def logged(db_path):
    """A closed database whose log holds six entries made through the services."""
    database = open_database(db_path)
    admin = accounts.add_user(database, None, username="admin1", role="admin", password="a long password")
    for n in range(2, ENTRIES + 1):
        accounts.add_user(
            database,
            admin,
            username=f"user{n}",
            role="inspector",
            password="a long password",
            display_name=f"督查员{n}",
        )
    database.close()
    return db_path


def tamper(db_path, *statements) -> None:
    connection = duckdb.connect(str(db_path))
    for statement in statements:
        connection.execute(statement)
    connection.close()


def verify_log(db_path, *args):
    return CliRunner().invoke(cli, ["verify-log", "--db", str(db_path), *args])


def head_of(output: str) -> str:
    return re.search(r"Head: (\d+:[0-9a-f]{64})", output).group(1)


def test_an_untouched_log_verifies(logged):
    result = verify_log(logged)
    assert result.exit_code == 0
    assert f"Audit log intact: {ENTRIES} entries checked;" in result.output
    assert head_of(result.output).startswith(f"{ENTRIES}:")


def test_an_empty_log_verifies(db_path):
    open_database(db_path).close()
    result = verify_log(db_path)
    assert (result.exit_code, result.output.strip()) == (
        0,
        "Audit log intact: 0 entries checked; 0 rows match the hashes it recorded.",
    )


def assert_names(result, seq: int, reason: str) -> None:
    assert result.exit_code == 1
    assert f"Audit log entry {seq} does not verify: {reason}" in result.output
    assert f"{seq - 1} entries before it are intact." in result.output


def test_a_changed_field_is_named(logged):
    tamper(logged, 'UPDATE audit_log SET after = \'{"display_name":"别人"}\' WHERE seq = 3')
    assert_names(verify_log(logged), 3, "its content does not match its hash")


def test_a_changed_time_is_named(logged):
    tamper(logged, "UPDATE audit_log SET logged_at = logged_at - INTERVAL 1 DAY WHERE seq = 2")
    assert_names(verify_log(logged), 2, "its content does not match its hash")


def test_a_deleted_entry_is_named(logged):
    tamper(logged, "DELETE FROM audit_log WHERE seq = 4")
    assert_names(verify_log(logged), 4, "entry 4 is missing")


def test_a_deleted_last_entry_is_named(logged):
    tamper(logged, f"DELETE FROM audit_log WHERE seq = {ENTRIES}")
    assert_names(verify_log(logged), ENTRIES, f"entry {ENTRIES} is missing (the log ends early")


def test_two_swapped_entries_are_named(logged):
    tamper(logged, "UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)")
    assert_names(verify_log(logged), 2, "does not follow the entry before it")


def test_an_appended_entry_with_a_wrong_hash_is_named(logged):
    tamper(
        logged,
        f"INSERT INTO audit_log SELECT seq + 1, logged_at, 'intruder', action, entity, entity_id, "
        f"before, after, hash, repeat('f', 64), NULL FROM audit_log WHERE seq = {ENTRIES}",
    )
    assert_names(verify_log(logged), ENTRIES + 1, "its content does not match its hash")


def test_an_entry_appended_with_a_correct_hash_from_outside_is_named(logged):
    connection = duckdb.connect(str(logged))
    seq, logged_at, prev = connection.execute(
        f"SELECT seq + 1, strftime(logged_at, '%Y-%m-%dT%H:%M:%S.%f'), hash FROM audit_log WHERE seq = {ENTRIES}"
    ).fetchone()
    digest = audit_log.entry_hash(seq, logged_at, "intruder", "user.created", "user", "x", None, None, prev)
    connection.execute(
        "INSERT INTO audit_log VALUES (?, ?::TIMESTAMP, 'intruder', 'user.created', 'user', 'x', "
        "NULL, NULL, ?, ?, NULL)",
        [seq, logged_at, prev, digest],
    )
    connection.close()
    assert_names(verify_log(logged), ENTRIES + 1, "it was added to the log from outside the application")


def rewrite_chain_from(db_path, seq: int, new_actor: str) -> None:
    """What someone holding the file and this source code could do: alter an entry, recompute every hash."""
    connection = duckdb.connect(str(db_path))
    connection.execute("UPDATE audit_log SET actor = ? WHERE seq = ?", [new_actor, seq])
    rows = connection.execute(
        "SELECT seq, strftime(logged_at, '%Y-%m-%dT%H:%M:%S.%f'), actor, action, entity, entity_id, "
        "before::VARCHAR, after::VARCHAR, rows_digest FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = audit_log.GENESIS
    for row in rows:
        digest = audit_log.entry_hash(*row[:8], prev, row[8])
        connection.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, digest, row[0]])
        prev = digest
    connection.execute("UPDATE meta SET value = ? WHERE name = ?", [f"{rows[-1][0]}:{prev}", audit_log.HEAD])
    connection.close()


def test_a_recomputed_chain_is_caught_by_an_anchor_written_down_earlier(logged):
    anchor = head_of(verify_log(logged).output)
    rewrite_chain_from(logged, 2, "someone else")
    assert verify_log(logged).exit_code == 0  # the chain alone cannot tell
    result = verify_log(logged, "--anchor", anchor)
    assert_names(result, ENTRIES, "its hash differs from the one recorded earlier (the log was rewritten)")


def test_an_anchor_beyond_a_cut_log_is_named(logged):
    anchor = head_of(verify_log(logged).output)
    tamper(
        logged,
        f"DELETE FROM audit_log WHERE seq >= {ENTRIES - 1}",
        f"UPDATE meta SET value = (SELECT seq || ':' || hash FROM audit_log WHERE seq = {ENTRIES - 2}) "
        f"WHERE name = '{audit_log.HEAD}'",
    )
    assert_names(verify_log(logged, "--anchor", anchor), ENTRIES - 1, f"entry {ENTRIES - 1} is missing")


def test_a_malformed_anchor_is_refused_plainly(logged):
    result = verify_log(logged, "--anchor", "six:abc")
    assert result.exit_code == 2 and "is not SEQ:HASH" in result.output


def test_times_and_texts_round_trip_exactly_across_reopening(db_path):
    database = open_database(db_path)
    with database.write() as cursor:
        audit_log.append(
            cursor,
            actor="李娜",
            action="finding.recorded",
            entity="finding",
            entity_id="f1",
            before=None,
            after={
                "description": '一层普通口罩\n"引号"',
                "value": 0.55,
                "n": 10**18,
                "nested": {"b": [1, 2.5, None], "a": True},
            },
        )
    database.close()
    database = open_database(db_path)
    with database.read() as cursor:
        assert audit_log.verify(cursor).ok
        stored = cursor.execute("SELECT strftime(logged_at, '%f') FROM audit_log").fetchone()[0]
    database.close()
    assert len(stored) == 6  # microseconds kept, as hashed


def test_nothing_in_the_code_updates_or_deletes_log_entries():
    pattern = re.compile(
        r"(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|TRUNCATE\s+audit_log|DROP\s+TABLE\s+audit_log)", re.IGNORECASE
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "audit").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert pattern.search("cursor.execute('delete from  audit_log where seq = 1')")
