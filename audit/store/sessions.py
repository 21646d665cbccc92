"""Browser sessions kept by cookie: only hashes of the token and of the one-time code are stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

_COLUMNS = "id, user_id, token_hash, code_expires, created_at, last_used, client, ended_at, ended_reason"


@dataclass(frozen=True)
class BrowserSession:
    id: str
    user_id: str
    token_hash: str | None
    code_expires: datetime | None
    created_at: datetime
    last_used: datetime
    client: str | None
    ended_at: datetime | None
    ended_reason: str | None


def insert(
    cursor: duckdb.DuckDBPyConnection,
    *,
    session_id: str,
    user_id: str,
    code_hash: str,
    code_expires: datetime,
    now: datetime,
    client: str | None,
) -> None:
    cursor.execute(
        "INSERT INTO browser_sessions (id, user_id, code_hash, code_expires, created_at, last_used, client) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [session_id, user_id, code_hash, code_expires, now, now, client],
    )


def get(cursor: duckdb.DuckDBPyConnection, session_id: str) -> BrowserSession | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM browser_sessions WHERE id = ?", [session_id]).fetchone()
    return BrowserSession(*row) if row else None


def by_token(cursor: duckdb.DuckDBPyConnection, token_hash: str) -> BrowserSession | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM browser_sessions WHERE token_hash = ?", [token_hash]).fetchone()
    return BrowserSession(*row) if row else None


def by_code(cursor: duckdb.DuckDBPyConnection, code_hash: str) -> BrowserSession | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM browser_sessions WHERE code_hash = ?", [code_hash]).fetchone()
    return BrowserSession(*row) if row else None


def set_token(cursor: duckdb.DuckDBPyConnection, session_id: str, token_hash: str) -> None:
    """The code is spent: it is forgotten as the token's hash is written."""
    cursor.execute(
        "UPDATE browser_sessions SET token_hash = ?, code_hash = NULL, code_expires = NULL WHERE id = ?",
        [token_hash, session_id],
    )


def forget_code(cursor: duckdb.DuckDBPyConnection, session_id: str) -> None:
    cursor.execute("UPDATE browser_sessions SET code_hash = NULL, code_expires = NULL WHERE id = ?", [session_id])


def touch(cursor: duckdb.DuckDBPyConnection, session_id: str, now: datetime) -> None:
    cursor.execute("UPDATE browser_sessions SET last_used = ? WHERE id = ?", [now, session_id])


def end(cursor: duckdb.DuckDBPyConnection, session_id: str, *, now: datetime, reason: str) -> None:
    cursor.execute(
        "UPDATE browser_sessions SET ended_at = ?, ended_reason = ?, code_hash = NULL, code_expires = NULL "
        "WHERE id = ? AND ended_at IS NULL",
        [now, reason, session_id],
    )


def end_for_user(cursor: duckdb.DuckDBPyConnection, user_id: str, *, now: datetime, reason: str) -> int:
    """End every open session of the account; the number ended."""
    rows = cursor.execute(
        "UPDATE browser_sessions SET ended_at = ?, ended_reason = ?, code_hash = NULL, code_expires = NULL "
        "WHERE user_id = ? AND ended_at IS NULL RETURNING id",
        [now, reason, user_id],
    ).fetchall()
    return len(rows)


def open_count(cursor: duckdb.DuckDBPyConnection, user_id: str) -> int:
    return cursor.execute(
        "SELECT count(*) FROM browser_sessions WHERE user_id = ? AND ended_at IS NULL", [user_id]
    ).fetchone()[0]
