"""Accounts: who may sign in, with what role, and how many times they have failed to.

Usernames are matched without regard to case, so "Zhang.Wei" and "zhang.wei" are one account.
The table carries no uniqueness constraint (DuckLake has none); the service checks before adding.
Sign-in attempts are counted by single UPDATEs inside the caller's write transaction, so attempts
that arrive together are counted one after another and none slips past the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from audit.model import Role, User
from audit.store.backend import cached

_COLUMNS = (
    "id, username, display_name, role, unit, active, password_hash, failed_logins, locked_until, created_at, "
    "email, sso_issuer, sso_subject"
)
# Fields an administrator may change; anything else is refused so no caller can write arbitrary columns.
_CHANGEABLE = {
    "display_name",
    "role",
    "unit",
    "active",
    "password_hash",
    "failed_logins",
    "locked_until",
    "attempt_window",
    "email",
    "sso_issuer",
    "sso_subject",
}


@dataclass(frozen=True)
class Account:
    """A user as stored, with what only sign-in needs to know."""

    user: User
    password_hash: str | None
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    email: str | None = None
    sso_issuer: str | None = None
    sso_subject: str | None = None


def _account(row: tuple) -> Account:
    user_id, username, display_name, role, unit, active, password_hash, failed, locked_until, created_at = row[:10]
    user = User(id=user_id, username=username, display_name=display_name, role=Role(role), unit=unit, active=active)
    return Account(user, password_hash, failed, locked_until, created_at, *row[10:])


def insert_user(
    cursor: duckdb.DuckDBPyConnection,
    user: User,
    password_hash: str,
    *,
    now: datetime,
    by: str,
    email: str | None = None,
) -> None:
    cursor.execute(
        "INSERT INTO users (id, username, display_name, role, unit, password_hash, active, failed_logins, "
        "created_at, updated_at, updated_by, email) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
        [
            user.id,
            user.username,
            user.display_name,
            user.role.value,
            user.unit,
            password_hash,
            user.active,
            now,
            now,
            by,
            email,
        ],
    )


def find_account(cursor: duckdb.DuckDBPyConnection, username: str) -> Account | None:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower(?) ORDER BY created_at LIMIT 1", [username.strip()]
    ).fetchone()
    return _account(row) if row else None


def find_by_subject(cursor: duckdb.DuckDBPyConnection, issuer: str, subject: str) -> Account | None:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM users WHERE sso_issuer = ? AND sso_subject = ? ORDER BY created_at LIMIT 1",
        [issuer, subject],
    ).fetchone()
    return _account(row) if row else None


def find_by_email(cursor: duckdb.DuckDBPyConnection, email: str) -> list[Account]:
    rows = cursor.execute(
        f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower(?) ORDER BY created_at", [email.strip()]
    ).fetchall()
    return [_account(row) for row in rows]


def get_account(cursor: duckdb.DuckDBPyConnection, user_id: str) -> Account | None:
    """Read again on every call that acts (a disabled account acts no more); on a lake from a cache
    that any change to the accounts makes read afresh."""

    def read() -> Account | None:
        row = cursor.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", [user_id]).fetchone()
        return _account(row) if row else None

    return cached(cursor, ("account", user_id), ("users",), read)


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


# --- Counting sign-in attempts -------------------------------------------------------------


def reserve_check(
    cursor: duckdb.DuckDBPyConnection, user_id: str, *, now: datetime, window_from: datetime, limit: int
) -> int | None:
    """Count one password check of this account, or None when it is locked or its window is full.

    `window_from` is the oldest window start still counted (now less the window length); an older
    window, or an expired lock, starts the count again at one. Returns the count with this check.
    """
    row = cursor.execute(
        """
        UPDATE users SET
            failed_logins = CASE WHEN attempt_window IS NULL OR attempt_window <= $window_from
                                      OR locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END,
            attempt_window = CASE WHEN attempt_window IS NULL OR attempt_window <= $window_from
                                       OR locked_until IS NOT NULL THEN $now ELSE attempt_window END,
            locked_until = NULL
        WHERE id = $id
          AND (locked_until IS NULL OR locked_until <= $now)
          AND (attempt_window IS NULL OR attempt_window <= $window_from OR locked_until IS NOT NULL
               OR failed_logins < $limit)
        RETURNING failed_logins
        """,
        {"id": user_id, "now": now, "window_from": window_from, "limit": limit},
    ).fetchone()
    return row[0] if row else None


def release_check(cursor: duckdb.DuckDBPyConnection, user_id: str) -> None:
    """A check that succeeded no longer counts against the account; earlier failures still do."""
    cursor.execute("UPDATE users SET failed_logins = greatest(failed_logins - 1, 0) WHERE id = ?", [user_id])


def lock_if_full(
    cursor: duckdb.DuckDBPyConnection, user_id: str, *, now: datetime, limit: int, until: datetime
) -> tuple[int, datetime | None]:
    """After a failed check: lock the account when its window holds `limit` checks. (count, locked_until)"""
    return cursor.execute(
        """
        UPDATE users SET locked_until = CASE
            WHEN failed_logins >= $limit AND (locked_until IS NULL OR locked_until <= $now) THEN $until
            ELSE locked_until END
        WHERE id = $id RETURNING failed_logins, locked_until
        """,
        {"id": user_id, "now": now, "limit": limit, "until": until},
    ).fetchone()


def reserve_address(
    cursor: duckdb.DuckDBPyConnection, address: str, *, now: datetime, window_from: datetime, limit: int
) -> int | None:
    """Count one sign-in attempt from a client address, or None when it has had `limit` in its window."""
    cursor.execute("DELETE FROM sign_in_addresses WHERE window_start <= ?", [window_from])
    row = cursor.execute(
        "UPDATE sign_in_addresses SET attempts = attempts + 1 WHERE address = ? AND attempts < ? RETURNING attempts",
        [address, limit],
    ).fetchone()
    if row:
        return row[0]
    if cursor.execute("SELECT count(*) FROM sign_in_addresses WHERE address = ?", [address]).fetchone()[0]:
        return None
    cursor.execute("INSERT INTO sign_in_addresses VALUES (?, ?, 1)", [address, now])
    return 1


def release_address(cursor: duckdb.DuckDBPyConnection, address: str) -> None:
    cursor.execute("UPDATE sign_in_addresses SET attempts = greatest(attempts - 1, 0) WHERE address = ?", [address])
