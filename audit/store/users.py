"""Accounts: who may sign in, with what role, and how many times they have failed to.

Usernames are matched without regard to case, so "Zhang.Wei" and "zhang.wei" are one account.
The table carries no uniqueness constraint (DuckLake has none); the service checks before adding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from audit.model import Role, User

_COLUMNS = "id, username, display_name, role, unit, active, password_hash, failed_logins, locked_until, created_at"
# Fields an administrator may change; anything else is refused so no caller can write arbitrary columns.
_CHANGEABLE = {"display_name", "role", "unit", "active", "password_hash", "failed_logins", "locked_until"}


@dataclass(frozen=True)
class Account:
    """A user as stored, with what only sign-in needs to know."""

    user: User
    password_hash: str | None
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime


def _account(row: tuple) -> Account:
    user_id, username, display_name, role, unit, active, password_hash, failed, locked_until, created_at = row
    user = User(id=user_id, username=username, display_name=display_name, role=Role(role), unit=unit, active=active)
    return Account(user, password_hash, failed, locked_until, created_at)


def insert_user(cursor: duckdb.DuckDBPyConnection, user: User, password_hash: str, *, now: datetime, by: str) -> None:
    cursor.execute(
        "INSERT INTO users (id, username, display_name, role, unit, password_hash, active, failed_logins, "
        "created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        [user.id, user.username, user.display_name, user.role.value, user.unit, password_hash, user.active,
         now, now, by],
    )


def find_account(cursor: duckdb.DuckDBPyConnection, username: str) -> Account | None:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower(?) ORDER BY created_at LIMIT 1",
        [username.strip()],
    ).fetchone()
    return _account(row) if row else None


def get_account(cursor: duckdb.DuckDBPyConnection, user_id: str) -> Account | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", [user_id]).fetchone()
    return _account(row) if row else None


def all_accounts(cursor: duckdb.DuckDBPyConnection) -> list[Account]:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM users ORDER BY lower(username)").fetchall()
    return [_account(row) for row in rows]


def update_account(cursor: duckdb.DuckDBPyConnection, user_id: str, *, now: datetime, by: str, **changes) -> None:
    unknown = set(changes) - _CHANGEABLE
    if unknown:
        raise ValueError(f"users: cannot change {sorted(unknown)}")
    values = [change.value if isinstance(change, Role) else change for change in changes.values()]
    assignments = ", ".join(f"{name} = ?" for name in changes)
    cursor.execute(
        f"UPDATE users SET {assignments}, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
        [*values, now, by, user_id],
    )


def active_admins(cursor: duckdb.DuckDBPyConnection) -> int:
    return cursor.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active").fetchone()[0]


def responsible_units(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    """The responsible units named in the site registry, for binding unit accounts to one."""
    rows = cursor.execute(
        "SELECT DISTINCT unit_zh FROM sites WHERE active AND unit_zh <> '' ORDER BY unit_zh"
    ).fetchall()
    return [row[0] for row in rows]


def is_demo(cursor: duckdb.DuckDBPyConnection) -> bool:
    """The demo generator marks its databases so the login page can say so."""
    return cursor.execute("SELECT count(*) FROM meta WHERE name = 'demo'").fetchone()[0] > 0


def mark_demo(cursor: duckdb.DuckDBPyConnection) -> None:
    if not is_demo(cursor):
        cursor.execute("INSERT INTO meta VALUES ('demo', 'true')")
