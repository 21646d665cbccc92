"""The state the audit log vouches for: a content hash of every audited row, per log entry.

Each log entry lists the rows it changed with their new hashes (NULL: the row was deleted)
in `audit_log_rows`, and its own hash covers a digest of that list. The latest hash recorded
for a row must then equal the hash of the row as it is now: a row changed, added or removed
behind the application's back no longer matches, and `verify` names it.

A row's hash is defined here once, as SQL, so bulk loads, single-row writes and verification
all compute it the same way inside DuckDB: SHA-256 of the table name and a JSON list of the
row's column values as text, which cannot be read two ways (strings quoted and escaped, NULL
apart from 'null'); lists go in as JSON text and BLOBs as their SHA-256. The columns are listed
by name: a column added later joins the hash only together with a migration that records every
row again (`every_row()`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from audit.store import accountability, bulletins, plans


@dataclass(frozen=True)
class Audited:
    key: tuple[str, ...]  # the columns naming a row; joined with '/' into its row key
    columns: tuple[str, ...]
    lists: tuple[str, ...] = ()
    blobs: tuple[str, ...] = ()
    nullable_key: tuple[str, ...] = ()

    def key_sql(self) -> str:
        parts = [f"coalesce({c}, '')" if c in self.nullable_key else c for c in self.key]
        return " || '/' || ".join(parts) if len(parts) > 1 else parts[0]

    def hash_sql(self, table: str) -> str:
        def value(column: str) -> str:
            if column in self.lists:
                return f"to_json({column})::VARCHAR"
            if column in self.blobs:
                return f"sha256({column})"
            return f"{column}::VARCHAR"

        return f"sha256('{table}' || to_json([{', '.join(value(c) for c in self.columns)}])::VARCHAR)"


AUDITED: dict[str, Audited] = {
    "sites": Audited(
        ("id",),
        (
            "id",
            "code",
            "name_zh",
            "name_en",
            "kind",
            "district_zh",
            "district_en",
            "subdistrict_zh",
            "subdistrict_en",
            "community_zh",
            "community_en",
            "unit_zh",
            "unit_en",
            "active",
            "version",
            "updated_at",
            "updated_by",
        ),
    ),
    "users": Audited(
        ("id",),
        (
            "id",
            "username",
            "display_name",
            "role",
            "unit",
            "password_hash",
            "active",
            "failed_logins",
            "locked_until",
            "created_at",
            "version",
            "updated_at",
            "updated_by",
            "email",
            "sso_issuer",
            "sso_subject",
        ),
    ),
    "inspections": Audited(
        ("id",),
        (
            "id",
            "site_id",
            "checklist_id",
            "checklist_version",
            "checklist_hash",
            "inspectors",
            "started_at",
            "status",
            "submitted_at",
            "score",
            "created_by",
            "version",
            "updated_at",
            "updated_by",
            "self_reported",
        ),
        lists=("inspectors",),
    ),
    "responses": Audited(
        ("inspection_id", "item_id"),
        ("inspection_id", "item_id", "result", "value", "text", "note", "answered_at", "answered_by"),
    ),
    "findings": Audited(
        ("id",),
        (
            "id",
            "number",
            "inspection_id",
            "site_id",
            "checklist_id",
            "item_id",
            "description",
            "severity",
            "immediate_measure",
            "responsible_unit",
            "responsible_person",
            "requirement",
            "deadline",
            "status",
            "found_at",
            "inspector",
            "fix_report",
            "reported_by",
            "reported_at",
            "verifier",
            "closed_at",
            "repeat_of",
            "is_repeat",
            "version",
            "updated_at",
            "updated_by",
            "checklist_text",
            "item_text",
            "self_reported",
        ),
    ),
    "finding_events": Audited(
        ("id",), ("id", "finding_id", "happened_at", "actor", "action", "from_status", "to_status", "note")
    ),
    "photos": Audited(
        ("sha256",),
        ("sha256", "mime", "width", "height", "size_bytes", "data", "thumbnail", "created_at"),
        blobs=("data", "thumbnail"),
    ),
    "finding_photos": Audited(
        ("finding_id", "stage", "sha256", "event_id"),
        ("finding_id", "sha256", "stage", "event_id", "added_at", "added_by"),
        nullable_key=("event_id",),
    ),
    "bulletins": Audited(("id",), bulletins.COLUMNS, lists=("units",)),
    "measures": Audited(("id",), accountability.COLUMNS, lists=("finding_ids",)),
    "measure_documents": Audited(
        ("measure_id", "sha256"),
        ("measure_id", "sha256", "name", "mime", "data", "added_at", "added_by"),
        blobs=("data",),
    ),
    "suggestion_answers": Audited(
        ("key",), ("key", "rule", "unit", "answer", "reason", "measure_id", "answered_by", "answered_at")
    ),
    "recheck_campaigns": Audited(
        ("id",),
        (
            "id",
            "name",
            "closed_from",
            "closed_to",
            "site_kind",
            "severity",
            "unit",
            "sample_size",
            "sample_share",
            "seed",
            "population",
            "drawn",
            "team",
            "due",
            "created_by",
            "created_at",
        ),
        lists=("team",),
    ),
    "recheck_items": Audited(
        ("campaign_id", "finding_id"),
        ("campaign_id", "finding_id", "site_id", "outcome", "note", "new_finding_id", "checked_by", "checked_at"),
    ),
    "plans": Audited(("id",), plans.COLUMNS, lists=("checklist_ids", "site_codes", "team")),
    "tasks": Audited(
        ("id",),
        ("id", "plan_id", "site_id", "checklist_id", "due", "team", "self_inspection", "created_at"),
        lists=("team",),
    ),
}
"""Every table whose rows are evidence, by name."""

# Columns left out of a row's hash, each with its reason.
UNHASHED = {
    (
        "users",
        "attempt_window",
    ): "sign-in throttling's clock; changing it only moves when failed attempts stop counting",
    ("findings", "search_key"): "derived from the number and description (both hashed); `check` names a wrong one",
}

# The entity an audit-log entry names, when it is one row of an audited table.
ENTITY_TABLES = {
    "site": "sites",
    "user": "users",
    "inspection": "inspections",
    "finding": "findings",
    "bulletin": "bulletins",
    "measure": "measures",
    "suggestion": "suggestion_answers",
    "recheck_campaign": "recheck_campaigns",
    "plan": "plans",
}

Key = str | Sequence[str | None]


def row_key(key: Key) -> str:
    """The row key as `Audited.key_sql` builds it in SQL."""
    return key if isinstance(key, str) else "/".join(value or "" for value in key)


def record(cursor: duckdb.DuckDBPyConnection, seq: int, table: str, keys: Iterable[Key]) -> None:
    """Record the rows named by `keys` as they are now; a key whose row is gone records a deletion."""
    spec = AUDITED[table]
    match = " AND ".join(
        f"{column} IS NOT DISTINCT FROM ?" if column in spec.nullable_key else f"{column} = ?" for column in spec.key
    )
    for key in dict.fromkeys(key if isinstance(key, str) else tuple(key) for key in keys):
        values = [key] if isinstance(key, str) else list(key)
        if len(values) != len(spec.key):
            raise ValueError(f"{table} rows are named by {spec.key}, not {values}")
        # max(): one row per key even where a table holds copies; verify reports those.
        cursor.execute(
            f"INSERT INTO audit_log_rows SELECT ?, ?, ?, max({spec.hash_sql(table)}) FROM {table} WHERE {match}",
            [seq, table, row_key(key), *values],
        )


def record_where(cursor: duckdb.DuckDBPyConnection, seq: int, table: str, where: str, params: Sequence = ()) -> None:
    """Record, in one statement, every row of `table` matching `where` (bulk loads)."""
    spec = AUDITED[table]
    cursor.execute(
        f"INSERT INTO audit_log_rows SELECT ?, ?, {spec.key_sql()}, {spec.hash_sql(table)} FROM {table} WHERE {where}",
        [seq, table, *params],
    )


def record_from(cursor: duckdb.DuckDBPyConnection, seq: int, table: str, source: str) -> None:
    """Record the rows of `source`, a relation with the columns of `table` holding rows just added to it.

    A bulk load hashes the rows it adds as it adds them, rather than finding them again in a table
    of millions: the result is the same as `record_where` on those rows.
    """
    spec = AUDITED[table]
    cursor.execute(
        f"INSERT INTO audit_log_rows SELECT ?, ?, {spec.key_sql()}, {spec.hash_sql(table)} FROM {source}", [seq, table]
    )


def every_row() -> dict[str, tuple[str, list]]:
    """`rows_where` for an entry that records every audited row (an upgrade, a fixture)."""
    return {table: ("true", []) for table in AUDITED}


def _digests_sql(where: str) -> str:
    """Each entry's digest of its recorded rows: SHA-256 over buckets, so no string grows without bound."""
    return f"""
        WITH buckets AS (
            SELECT seq, table_name, left(row_key, 2) AS bucket,
                   sha256(string_agg(length(row_key) || ':' || row_key || '=' || coalesce(row_hash, '-'), ','
                                     ORDER BY row_key, row_hash)) AS digest
            FROM audit_log_rows WHERE {where} GROUP BY seq, table_name, bucket
        )
        SELECT seq, sha256(string_agg(table_name || ':' || length(bucket) || ':' || bucket || '=' || digest, ','
                                      ORDER BY table_name, bucket)) AS digest
        FROM buckets GROUP BY seq
    """


def digest(cursor: duckdb.DuckDBPyConnection, seq: int) -> str | None:
    """The digest of the rows recorded with entry `seq`, or None when it recorded none."""
    row = cursor.execute(_digests_sql("seq = $seq"), {"seq": seq}).fetchone()
    return row[1] if row else None


@dataclass(frozen=True)
class RowProblem:
    table: str | None  # None: a problem of the log entry's row list itself
    row: str | None
    seq: int | None  # the log entry concerned (the latest one recording the row)
    code: str  # changed, unlogged, missing, deleted, duplicated, list_changed
    copies: int = 1

    @property
    def reason(self) -> str:
        return {
            "changed": "the row differs from what log entry {seq} recorded",
            "unlogged": "the row is in the database but no log entry records it",
            "missing": "the row is gone, but log entry {seq} recorded it and no entry logs its deletion",
            "deleted": "the row is in the database, but log entry {seq} recorded its deletion",
            "duplicated": "the row is there {copies} times; log entry {seq} recorded one",
            "list_changed": "the list of rows recorded with log entry {seq} was changed",
            "not_recorded": "this database predates row hashes; open it once with `python -m audit init` "
            "to record them",
        }[self.code].format(seq=self.seq, copies=self.copies)

    def __str__(self) -> str:
        where = f"{self.table} row {self.row}: " if self.table else f"log entry {self.seq}: " if self.seq else ""
        return where + self.reason


def check(cursor: duckdb.DuckDBPyConnection, limit: int = 100) -> tuple[list[RowProblem], int]:
    """Rows that do not match what the log recorded (at most `limit`), and how many rows were checked.

    Everything is compared in SQL: a million findings are never walked in Python.
    """
    if not recorded(cursor):
        return [RowProblem(None, None, None, "not_recorded")], 0
    problems = [
        RowProblem(None, None, seq, "list_changed")
        for (seq,) in cursor.execute(
            f"SELECT coalesce(e.seq, d.seq) FROM (SELECT seq, rows_digest FROM audit_log WHERE rows_digest IS NOT NULL) e "
            f"FULL JOIN ({_digests_sql('true')}) d USING (seq) "
            f"WHERE e.rows_digest IS DISTINCT FROM d.digest ORDER BY 1 LIMIT {int(limit)}"
        ).fetchall()
    ]
    checked = 0
    for table, spec in AUDITED.items():
        if len(problems) >= limit:
            break
        found, table_problems = _check_table(cursor, table, spec, limit - len(problems))
        checked += found
        problems += table_problems
    return problems, checked


def recorded(cursor: duckdb.DuckDBPyConnection) -> bool:
    """Whether this database keeps row hashes (a file opened read-only may predate them)."""
    return (
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit_log_rows'").fetchone()[
            0
        ]
        > 0
    )


def _check_table(
    cursor: duckdb.DuckDBPyConnection, table: str, spec: Audited, limit: int
) -> tuple[int, list[RowProblem]]:
    rows = cursor.execute(
        f"""
        WITH latest AS (
            SELECT row_key, max(seq) AS seq, arg_max_null(row_hash, seq) AS recorded
            FROM audit_log_rows WHERE table_name = $table GROUP BY row_key
        ), present AS (
            SELECT {spec.key_sql()} AS row_key, {spec.hash_sql(table)} AS found FROM {table}
        )
        SELECT coalesce(p.row_key, l.row_key), l.seq, l.recorded, p.found
        FROM present p FULL JOIN latest l USING (row_key)
        WHERE p.found IS DISTINCT FROM l.recorded
        ORDER BY l.seq NULLS FIRST, 1 LIMIT {int(limit)}
        """,
        {"table": table},
    ).fetchall()
    problems = [RowProblem(table, key, seq, _code(seq, recorded, found)) for key, seq, recorded, found in rows]
    present, logged = cursor.execute(
        f"SELECT (SELECT count(*) FROM {table}), count(*) FROM (SELECT arg_max_null(row_hash, seq) AS recorded "
        "FROM audit_log_rows WHERE table_name = ? GROUP BY row_key) WHERE recorded IS NOT NULL",
        [table],
    ).fetchone()
    if not problems and present != logged:  # every key matches, so some key is there more than once
        problems = _duplicates(cursor, table, spec, limit)
    return present, problems


def _code(seq: int | None, recorded: str | None, found: str | None) -> str:
    if seq is None:
        return "unlogged"
    if recorded is None:
        return "deleted"
    return "missing" if found is None else "changed"


def _duplicates(cursor: duckdb.DuckDBPyConnection, table: str, spec: Audited, limit: int) -> list[RowProblem]:
    rows = cursor.execute(
        f"""
        SELECT d.row_key, d.copies, (SELECT max(seq) FROM audit_log_rows r
                                     WHERE r.table_name = $table AND r.row_key = d.row_key)
        FROM (SELECT {spec.key_sql()} AS row_key, count(*) AS copies FROM {table} GROUP BY 1 HAVING count(*) > 1) d
        ORDER BY 1 LIMIT {int(limit)}
        """,
        {"table": table},
    ).fetchall()
    return [RowProblem(table, key, seq, "duplicated", copies) for key, copies, seq in rows]
