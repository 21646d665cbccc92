"""A lake's point reads come from a cache while none of their tables changed, and afresh once one did,
whichever process changed it; and its files are laid out for reads by what they are read by."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

from audit.services import dashboard
from audit.store import backend, open_database
from audit.store.inspections import findings_by_id
from audit.store.users import get_account, update_account
from tests.conftest import ROOT
from tests.factories import store_accounts
from tests.lake.scene import INSPECTOR, UNIT_ACCOUNT, set_scene


class Counting:
    """Counts, then passes on, the statements that read a table."""

    def __init__(self, cursor, table: str, seen: list):
        self._cursor, self._table, self._seen = cursor, table, seen

    def execute(self, sql, parameters=None):
        if f"FROM {self._table}" in sql:
            self._seen.append(sql)
        return self._cursor.execute(sql) if parameters is None else self._cursor.execute(sql, parameters)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def _account(database, user_id: str, table_reads: list):
    with database.read() as cursor:
        return get_account(Counting(cursor, "users", table_reads), user_id)


def _disable_elsewhere(target: str, user_id: str) -> None:
    """Another process changes the account, as another server of the lake would."""
    script = (
        "import sys; from datetime import datetime\n"
        "from audit.store import open_database\nfrom audit.store.users import update_account\n"
        "database = open_database(sys.argv[1])\n"
        "with database.write() as cursor:\n"
        "    update_account(cursor, sys.argv[2], now=datetime(2026, 3, 1), by='admin', active=False)\n"
        "database.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", script, target, user_id], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_an_account_is_read_again_only_after_the_accounts_changed_in_another_process(lake_target):
    database = open_database(lake_target)
    store_accounts(database, INSPECTOR)
    reads: list = []
    assert _account(database, INSPECTOR.id, reads).user.active
    assert _account(database, INSPECTOR.id, reads).user.active
    assert len(reads) == 1  # the second came from the cache
    with database.write() as cursor:  # another table changes: the account still holds
        cursor.execute("INSERT INTO _write_units VALUES ('elsewhere', now()::TIMESTAMP)")
    assert _account(database, INSPECTOR.id, reads).user.active
    assert len(reads) == 1
    _disable_elsewhere(lake_target, INSPECTOR.id)
    assert not _account(database, INSPECTOR.id, reads).user.active
    assert len(reads) == 2
    database.close()


def test_a_change_made_by_this_process_is_read_at_once(lake_target):
    database = open_database(lake_target)
    store_accounts(database, INSPECTOR, UNIT_ACCOUNT)
    assert _account(database, UNIT_ACCOUNT.id, []).user.active
    with database.write() as cursor:
        assert get_account(cursor, UNIT_ACCOUNT.id).user.active
        update_account(cursor, UNIT_ACCOUNT.id, now=datetime(2026, 3, 1), by="admin", active=False)
        assert not get_account(cursor, UNIT_ACCOUNT.id).user.active  # a writing cursor reads its own change
    assert not _account(database, UNIT_ACCOUNT.id, []).user.active
    database.close()


def _close_elsewhere(target: str, finding_id: str) -> None:
    """Another process changes a finding with plain SQL: neither the log nor its version moves."""
    script = (
        "import sys\nfrom audit.store import open_database\n"
        "database = open_database(sys.argv[1])\n"
        "with database.write() as cursor:\n"
        "    cursor.execute(\"UPDATE findings SET status = 'closed' WHERE id = ?\", [sys.argv[2]])\n"
        "database.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, target, finding_id], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_dashboards_data_version_moves_when_its_tables_change_in_any_process(lake_target):
    database = open_database(lake_target)
    finding = set_scene(database)
    first = dashboard.data_version(database)
    assert dashboard.data_version(database) == first
    with database.write() as cursor:  # a table the dashboard does not read
        cursor.execute("INSERT INTO _write_units VALUES ('elsewhere', now()::TIMESTAMP)")
    assert dashboard.data_version(database) == first
    _close_elsewhere(lake_target, finding)
    second = dashboard.data_version(database)
    assert second != first
    with database.write() as cursor:  # this process's own change, by plain SQL too
        cursor.execute("UPDATE findings SET status = 'open' WHERE id = ?", [finding])
    assert dashboard.data_version(database) not in (first, second)
    database.close()


def test_what_a_caller_changes_in_a_cached_result_is_not_kept(lake_target):
    database = open_database(lake_target)
    shared = set_scene(database)
    with database.read() as cursor:
        findings_by_id(cursor, [shared]).clear()
    with database.read() as cursor:
        assert [found.id for found in findings_by_id(cursor, [shared])] == [shared]
    database.close()


class Snapshots:
    """A cursor that answers the cache's two questions from a made-up catalog."""

    def __init__(self, snapshot: int, changes: list[tuple[int, str]], tables: dict[int, str]):
        self.snapshot, self.changes, self.tables = snapshot, changes, tables

    def execute(self, sql, parameters=None):
        self.sql = sql
        return self

    def fetchone(self):
        return (self.snapshot,)

    def fetchall(self):
        if "ducklake_snapshot_changes" in self.sql:
            return self.changes
        return list(self.tables.items())


def test_snapshots_missing_from_the_catalog_count_as_every_table_changed():
    cache = backend.ReadCache()
    reads = []
    cursor = Snapshots(10, [], {1: "users", 2: "findings"})

    def read():
        reads.append(1)
        return "account"

    cache.get(cursor, ("a",), ("users",), read)
    cursor.snapshot, cursor.changes = 12, [(11, "inlined_insert:2"), (12, "inserted_into_table:2")]
    cache.get(cursor, ("a",), ("users",), read)
    assert len(reads) == 1
    cursor.snapshot, cursor.changes = 20, [(20, "inlined_insert:2")]  # 13-19 expired meanwhile
    cache.get(cursor, ("a",), ("users",), read)
    assert len(reads) == 2
    cursor.snapshot, cursor.changes = 21, [(21, 'created_table:"main"."other"')]
    cache.get(cursor, ("a",), ("users",), read)
    assert len(reads) == 3


def test_a_lake_keeps_its_tables_sorted_in_small_row_groups(lake_target):
    database = open_database(lake_target)
    with database.read() as cursor:
        options = dict(cursor.execute(f"SELECT option_name, value FROM {backend.LAKE}.options()").fetchall())
        sorted_tables = dict(
            cursor.execute(
                f"SELECT t.table_name, e.expression FROM {backend.metadata_catalog()}.ducklake_sort_expression e "
                f"JOIN {backend.metadata_catalog()}.ducklake_sort_info i USING (sort_id) "
                f"JOIN {backend.metadata_catalog()}.ducklake_table t ON t.table_id = i.table_id "
                "WHERE i.end_snapshot IS NULL AND t.end_snapshot IS NULL"
            ).fetchall()
        )
    assert int(options["parquet_row_group_size"]) == backend.ROW_GROUP_ROWS
    assert int(options["data_inlining_row_limit"]) == backend.INLINING_ROW_LIMIT
    assert {table: sorted_tables.get(table) for table in backend.SORT_ORDERS} == backend.SORT_ORDERS
    database.close()
