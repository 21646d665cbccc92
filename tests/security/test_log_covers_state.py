"""Item 5 of the trust review: `verify-log` checks the data itself against the audit log.

Every audited row must match the content hash its latest log entry recorded. Each tamper
below is done with plain SQL on the file, as someone holding it could; `verify-log` must
name the table, the row and the entry, and exit non-zero.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import duckdb
import pytest
from click.testing import CliRunner
from PIL import Image

from audit.checklists import load_checklists
from audit.cli import cli
from audit.demo import generate
from audit.model import CampaignFilter
from audit.services import accountability, accounts, bulletins, plans, rechecks, rectification, sso
from audit.store import audit_log, open_database
from audit.store.migrations import MIGRATIONS
from audit.store.row_state import AUDITED, UNHASHED
from tests.conftest import ROOT

NOW = datetime(2026, 3, 20, 9, 30)


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A demo database, accounts, and one finding taken through a fix report with a photo, all via services."""
    path = tmp_path_factory.mktemp("state") / "audit.duckdb"
    database = open_database(path)
    generate(database, load_checklists(ROOT / "checklists").checklists, findings=120, seed=5, now=datetime(2026, 3, 20))
    admin = accounts.add_user(database, None, username="admin1", role="admin", password="a long password 1")
    supervisor = accounts.add_user(database, admin, username="lead1", role="supervisor", password="a long password 3")
    with database.read() as cursor:
        finding_id, unit, version = cursor.execute(
            "SELECT id, responsible_unit, version FROM findings ORDER BY number LIMIT 1"
        ).fetchone()
    unit_user = accounts.add_user(
        database, admin, username="unit1", role="unit", password="a long password 2", unit=unit
    )
    reopened = rectification.reopen(database, supervisor, finding_id, version=version, reason="复查仍未整改", now=NOW)
    rectification.report_fix(
        database, unit_user, finding_id, version=reopened.version, fix_report="已整改", photos=[picture()], now=NOW
    )
    sso.link(database, admin, "unit1", "https://idp.example", "person-1")
    accountability.record_measure(
        database,
        supervisor,
        kind="reminder_talk",
        unit=unit,
        person="张三",
        decided_on=NOW.date(),
        decided_by="区纪委监委",
        basis="第五条",
        finding_ids=[finding_id],
        documents=[("决定.jpg", picture())],
        today=NOW.date(),
        now=NOW,
    )
    draft = bulletins.draft_bulletin(
        database, supervisor, kind="daily", period_from=date(2026, 3, 1), period_to=date(2026, 3, 19), today=NOW.date()
    )
    saved = bulletins.save_draft(
        database, supervisor, draft, case_ids=[], summary="概况", requirements="要求", signature="督查组", now=NOW
    )
    bulletins.issue_bulletin(database, supervisor, saved.id, saved.version, now=NOW)
    inspector = accounts.add_user(database, admin, username="insp1", role="inspector", password="a long password 4")
    campaign = rechecks.start_campaign(
        database,
        supervisor,
        name="回头看",
        scope=CampaignFilter(date(2025, 1, 1), NOW.date()),
        team=[inspector.username],
        due=NOW.date(),
        sample_size=3,
        seed=7,
        now=NOW,
    )
    first = rechecks.campaign_report(database, supervisor, campaign.id, language="zh-CN").items[0]
    rechecks.record_recheck(database, inspector, campaign.id, first.finding_id, outcome="held", now=NOW)
    plans.add_plan(
        database,
        supervisor,
        name="隔离点每日督查",
        checklist_ids=["isolation_point"],
        site_kind="isolation_point",
        team=[inspector.username],
        every="daily",
        start=date(2026, 3, 16),
        end=date(2026, 3, 31),
        now=NOW,
    )
    plans.ensure_tasks(database, NOW.date(), now=NOW)
    database.close()
    return path, finding_id


@pytest.fixture
def copy(built, tmp_path):
    path, finding_id = built
    target = tmp_path / "copy.duckdb"
    target.write_bytes(path.read_bytes())
    return target, finding_id


def sql(path, statement: str, params=()):
    connection = duckdb.connect(str(path))
    try:
        return connection.execute(statement, list(params)).fetchall()
    finally:
        connection.close()


def verify_log(path):
    return CliRunner().invoke(cli, ["verify-log", "--db", str(path)])


def latest_entry(path, table: str, key: str) -> int:
    return sql(path, "SELECT max(seq) FROM audit_log_rows WHERE table_name = ? AND row_key = ?", [table, key])[0][0]


def assert_names(result, *words) -> None:
    assert result.exit_code == 1, result.output
    line = next((line for line in result.output.splitlines() if all(word in line for word in words)), None)
    assert line is not None, (words, result.output)


def test_an_untouched_database_verifies(built):
    path, _ = built
    result = verify_log(path)
    assert result.exit_code == 0, result.output
    rows = sum(sql(path, f"SELECT count(*) FROM {table}")[0][0] for table in AUDITED)
    assert f"{rows} rows match" in result.output


def test_closing_a_finding_by_sql_is_named(copy):
    path, finding_id = copy
    entry = latest_entry(path, "findings", finding_id)
    sql(path, "UPDATE findings SET status = 'closed', closed_at = now() WHERE id = ?", [finding_id])
    assert_names(verify_log(path), "findings row", finding_id, f"log entry {entry}", "differs")


def test_making_a_unit_account_an_admin_is_named(copy):
    path, _ = copy
    user_id = sql(path, "SELECT id FROM users WHERE username = 'unit1'")[0][0]
    entry = latest_entry(path, "users", user_id)
    sql(path, "UPDATE users SET role = 'admin' WHERE id = ?", [user_id])
    assert_names(verify_log(path), "users row", user_id, f"log entry {entry}")


def test_deleting_the_events_of_a_finding_names_each(copy):
    path, finding_id = copy
    events = [row[0] for row in sql(path, "SELECT id FROM finding_events WHERE finding_id = ?", [finding_id])]
    assert events
    sql(path, "DELETE FROM finding_events WHERE finding_id = ?", [finding_id])
    result = verify_log(path)
    for event in events:
        assert_names(
            result, "finding_events row", event, "is gone", f"log entry {latest_entry(path, 'finding_events', event)}"
        )


def test_deleting_a_finding_is_named(copy):
    path, _ = copy
    finding_id = sql(path, "SELECT id FROM findings ORDER BY number DESC LIMIT 1")[0][0]
    sql(path, "DELETE FROM findings WHERE id = ?", [finding_id])
    assert_names(verify_log(path), "findings row", finding_id, "is gone")


def test_an_inserted_finding_is_named(copy):
    path, finding_id = copy
    sql(
        path,
        "INSERT INTO findings SELECT * REPLACE ('forged-finding' AS id, '2026-9999' AS number) "
        "FROM findings WHERE id = ?",
        [finding_id],
    )
    assert_names(verify_log(path), "findings row forged-finding", "no log entry records it")


def test_an_exact_copy_of_a_row_is_named(copy):
    path, finding_id = copy
    sql(path, "INSERT INTO findings SELECT * FROM findings WHERE id = ?", [finding_id])
    assert_names(verify_log(path), "findings row", finding_id, "2 times")


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("responses", "note"),
        ("inspections", "status"),
        ("sites", "name_zh"),
        ("photos", "mime"),
        ("finding_photos", "added_by"),
        ("users", "sso_subject"),
        ("findings", "self_reported"),
        ("bulletins", "content_hash"),
        ("measures", "person"),
        ("measure_documents", "name"),
        ("recheck_campaigns", "name"),
        ("recheck_items", "outcome"),
        ("plans", "name"),
        ("tasks", "checklist_id"),
    ],
)
def test_every_audited_table_is_checked(copy, table, column):
    path, _ = copy
    spec = AUDITED[table]
    key = sql(path, f"SELECT {spec.key_sql()} FROM {table} ORDER BY 1 LIMIT 1")[0][0]
    value = "true" if column == "self_reported" else "'tampered'"
    sql(path, f"UPDATE {table} SET {column} = {value} WHERE {spec.key_sql()} = ?", [key])
    assert_names(verify_log(path), f"{table} row {key}", "differs")


def test_every_column_of_an_audited_table_is_in_its_hash(built):
    """A column added to an evidence table must join the hash, or be named in UNHASHED with its reason."""
    path, _ = built
    for table, spec in AUDITED.items():
        columns = [
            row[0]
            for row in sql(path, "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])
        ]
        left_out = [c for c in columns if c not in spec.columns and (table, c) not in UNHASHED]
        assert not left_out, f"{table}: {left_out} are in no row hash"


def test_binding_a_sign_in_identity_by_sql_is_named(copy):
    """Someone with the file binding their own identity-provider account to the administrator."""
    path, _ = copy
    admin_id = sql(path, "SELECT id FROM users WHERE username = 'admin1'")[0][0]
    sql(path, "UPDATE users SET sso_issuer = 'https://idp.example', sso_subject = 'intruder' WHERE id = ?", [admin_id])
    assert_names(verify_log(path), "users row", admin_id, "differs")


def test_a_deleted_recheck_outcome_is_named(copy):
    path, _ = copy
    campaign, finding = sql(path, "SELECT campaign_id, finding_id FROM recheck_items WHERE outcome IS NOT NULL")[0]
    sql(path, "DELETE FROM recheck_items WHERE outcome IS NOT NULL")
    assert_names(verify_log(path), f"recheck_items row {campaign}/{finding}", "is gone")


def test_a_recorded_row_hash_changed_in_the_log_is_named(copy):
    path, finding_id = copy
    entry = latest_entry(path, "findings", finding_id)
    sql(path, "UPDATE findings SET status = 'closed' WHERE id = ?", [finding_id])
    # Someone changing a row and its recorded hash alike: the entry's own hash covers its list of rows.
    sql(path, "UPDATE audit_log_rows SET row_hash = ? WHERE seq = ? AND row_key = ?", ["0" * 64, entry, finding_id])
    assert_names(verify_log(path), f"log entry {entry}", "list of rows recorded")


def test_an_edited_log_entry_is_named(copy):
    path, _ = copy
    sql(path, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
    assert_names(verify_log(path), "entry 2 does not verify")


def test_a_deleted_log_entry_is_named(copy):
    path, _ = copy
    sql(path, "DELETE FROM audit_log WHERE seq = 2")
    result = verify_log(path)
    assert_names(result, "entry 2 does not verify", "missing")
    assert_names(result, "log entry 2", "list of rows recorded")


def test_a_database_made_before_row_hashes_verifies_after_the_upgrade(tmp_path):
    """The upgrade records every row it finds, so only later changes show."""
    path = tmp_path / "old.duckdb"
    upgrade = next(number for number, name, _ in MIGRATIONS if name == "audit_log_rows")
    old = [entry for entry in MIGRATIONS if entry[0] < upgrade]
    connection = duckdb.connect(str(path))
    connection.execute(
        "CREATE TABLE _migrations (number INTEGER, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    for number, name, function in old:
        function(connection)
        connection.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", [number, name])
    connection.execute(
        "INSERT INTO users (id, username, display_name, role, created_at) "
        "VALUES ('u1', 'old.admin', 'Old', 'admin', now())"
    )
    connection.close()
    assert_names(verify_log(path), "predates row hashes", "audit init")  # read-only: not upgraded yet
    open_database(path).close()
    assert verify_log(path).exit_code == 0
    sql(path, "UPDATE users SET role = 'unit' WHERE id = 'u1'")
    assert_names(verify_log(path), "users row u1", "differs")


def test_plans_and_tasks_made_before_they_were_audited_verify_after_the_upgrade(tmp_path):
    """Upgrading records the plans and tasks it finds, in SQL; only later changes of them show."""
    path = tmp_path / "old.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(
        "CREATE TABLE _migrations (number INTEGER, name VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    for number, name, function in MIGRATIONS:
        if name == "plans_and_tasks_recorded":
            break
        function(connection)
        connection.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", [number, name])
    connection.execute(
        "INSERT INTO plans VALUES ('p1', '每日督查', ['ppe'], ['A'], NULL, NULL, ['zuzhang'], false, 'daily', "
        "DATE '2026-03-01', DATE '2026-03-31', true, DATE '2026-03-20', 'lead', now(), 1, NULL, NULL)"
    )
    connection.execute(
        "INSERT INTO tasks SELECT md5(d::VARCHAR), 'p1', 'site-a', 'ppe', d, ['zuzhang'], false, now() "
        "FROM range(DATE '2026-03-01', DATE '2026-03-21', INTERVAL 1 DAY) t(d)"
    )
    connection.close()
    open_database(path).close()
    assert verify_log(path).exit_code == 0
    task = sql(path, "SELECT min(id) FROM tasks")[0][0]
    sql(path, "UPDATE tasks SET team = ['someone'] WHERE id = ?", [task])
    sql(path, "UPDATE plans SET made_through = DATE '2026-03-31'")
    result = verify_log(path)
    assert_names(result, "tasks row", task, "differs")
    assert_names(result, "plans row p1", "differs")


def test_the_admin_page_check_names_changed_rows(copy):
    path, finding_id = copy
    sql(path, "UPDATE findings SET description = 'rewritten' WHERE id = ?", [finding_id])
    database = open_database(path, read_only=True)
    try:
        with database.read() as cursor:
            result = audit_log.verify(cursor)
    finally:
        database.close()
    assert not result.ok and result.bad_seq is None
    assert [(p.table, p.row, p.code) for p in result.rows] == [("findings", finding_id, "changed")]
