"""Staying signed in: a browser session kept by an HttpOnly cookie.

Signing in starts a session and gives the page a one-time code (30 seconds, single use); the
browser exchanges it at the app's own route for a random token, which the route sets as the
cookie. Only SHA-256 hashes of the code and the token are stored. A reload or a new tab with
the cookie is signed in again after the same checks as every step: the session not ended, not
idle longer than AUDIT_IDLE_MINUTES, not older than MAX_HOURS, and the account still enabled.
Disabling the account, a password reset, signing out and an administrator end sessions at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from audit.command_line import command_line_actor
from audit.errors import NotFound
from audit.model import User, new_id
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log
from audit.store import sessions as store
from audit.store.users import find_account, get_account

CODE_SECONDS = 30
MAX_HOURS = 12
# last use is written at most this often, so every tap of a page does not take the write lock
TOUCH_SECONDS = 30

# Why a session ended; the pages say each in the reader's language.
IDLE, DISABLED, SIGNED_OUT, EVERYWHERE, BY_ADMIN, PASSWORD_RESET, EXPIRED = (
    "idle",
    "disabled",
    "signed_out",
    "signed_out_everywhere",
    "ended_by_admin",
    "password_reset",
    "expired",
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Started:
    session_id: str
    code: str  # handed to the page once, for the cookie exchange


@dataclass(frozen=True)
class Outcome:
    """A session's state after a check: the account when it goes on, else why it ended."""

    user: User | None
    session_id: str | None = None
    ended: str | None = None


@unit_of_work
def start(database: Database, user: User, *, client: str | None = None, now: datetime | None = None) -> Started:
    """A new session for an account that has just signed in."""
    now = now or datetime.now()
    session_id, code = new_id(), secrets.token_urlsafe(32)
    with database.write() as cursor:
        store.insert(
            cursor,
            session_id=session_id,
            user_id=user.id,
            code_hash=digest(code),
            code_expires=now + timedelta(seconds=CODE_SECONDS),
            now=now,
            client=(client or "")[:200] or None,
        )
    return Started(session_id, code)


@unit_of_work
def redeem(database: Database, code: str, *, now: datetime | None = None) -> str | None:
    """The cookie token for a one-time code, or None for an unknown, spent or expired code."""
    now = now or datetime.now()
    if not code:
        return None
    with database.write() as cursor:  # under the write lock: two requests with one code cannot both win
        session = store.by_code(cursor, digest(code))
        if session is None or session.ended_at is not None or session.token_hash is not None:
            return None
        if session.code_expires is None or session.code_expires < now:
            store.forget_code(cursor, session.id)
            return None
        token = secrets.token_urlsafe(32)
        store.set_token(cursor, session.id, digest(token))
    return token


@unit_of_work
def _checked(
    database: Database, session: store.BrowserSession | None, *, idle_minutes: float, now: datetime
) -> Outcome:
    if session is None:
        return Outcome(None, ended=SIGNED_OUT)
    if session.ended_at is not None:
        return Outcome(None, session.id, session.ended_reason)
    ending = None
    with database.read() as cursor:
        account = get_account(cursor, session.user_id)
    if account is None or not account.user.active:
        ending = DISABLED
    elif now - session.last_used > timedelta(minutes=max(idle_minutes, 1)):
        ending = IDLE
    elif now - session.created_at > timedelta(hours=MAX_HOURS):
        ending = EXPIRED
    if ending:
        with database.write() as cursor:
            store.end(cursor, session.id, now=now, reason=ending)
        return Outcome(None, session.id, ending)
    if now - session.last_used >= timedelta(seconds=TOUCH_SECONDS):
        with database.write() as cursor:
            store.touch(cursor, session.id, now)
    return Outcome(account.user, session.id)


def check(database: Database, session_id: str, *, idle_minutes: float, now: datetime | None = None) -> Outcome:
    """The session of a page that is already signed in, at its next step."""
    with database.read() as cursor:
        session = store.get(cursor, session_id)
    return _checked(database, session, idle_minutes=idle_minutes, now=now or datetime.now())


def resume(database: Database, token: str | None, *, idle_minutes: float, now: datetime | None = None) -> Outcome:
    """The session a cookie's token belongs to (a reload, a new tab, a link from a notice)."""
    if not token:
        return Outcome(None)
    with database.read() as cursor:
        session = store.by_token(cursor, digest(token))
    return _checked(database, session, idle_minutes=idle_minutes, now=now or datetime.now())


@unit_of_work
def end(database: Database, session_id: str, reason: str = SIGNED_OUT, now: datetime | None = None) -> None:
    with database.write() as cursor:
        store.end(cursor, session_id, now=now or datetime.now(), reason=reason)


@unit_of_work
def end_by_token(database: Database, token: str | None, reason: str = SIGNED_OUT) -> None:
    if not token:
        return
    with database.write() as cursor:
        session = store.by_token(cursor, digest(token))
        if session is not None:
            store.end(cursor, session.id, now=datetime.now(), reason=reason)


@unit_of_work
def sign_out_everywhere(database: Database, user: User, now: datetime | None = None) -> int:
    """The user's own "sign out on all devices": every session of the account ends."""
    with database.write() as cursor:
        ended = store.end_for_user(cursor, user.id, now=now or datetime.now(), reason=EVERYWHERE)
        audit_log.append(
            cursor,
            actor=user.username,
            action="user.sessions_ended",
            entity="user",
            entity_id=user.id,
            after={"sessions": ended, "by": "self"},
        )
    return ended


@unit_of_work
def end_sessions(database: Database, actor: User | None, username: str, now: datetime | None = None) -> int:
    """An administrator (or the command line, actor None) ends every session of an account."""
    if actor is not None:
        actor = require(actor, Permission.MANAGE_ACCOUNTS, database)
    with database.write() as cursor:
        account = find_account(cursor, username or "")
        if account is None:
            raise NotFound("accounts.error.not_found", field="username", username=username)
        ended = store.end_for_user(cursor, account.user.id, now=now or datetime.now(), reason=BY_ADMIN)
        audit_log.append(
            cursor,
            actor=actor.username if actor else command_line_actor(),
            action="user.sessions_ended",
            entity="user",
            entity_id=account.user.id,
            after={"sessions": ended},
        )
    return ended


def open_sessions(database: Database, actor: User, username: str) -> int:
    actor = require(actor, Permission.MANAGE_ACCOUNTS, database)
    with database.read() as cursor:
        account = find_account(cursor, username or "")
        return store.open_count(cursor, account.user.id) if account else 0
