"""Accounts and sign-in: argon2 password hashes, lockout after repeated failures, roles.

Every change is written to the audit log in the same transaction, never with a password
hash in it. Errors carry a catalog key (`error.key`, `error.values`) so pages can say them
in the reader's language; `error.message` is the same text in English for the CLI.
`actor=None` means the command line or bootstrap, run by whoever holds the database file.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from audit.command_line import command_line_actor
from audit.errors import AuditError, Conflict, InvalidInput, NotFound, PermissionDenied
from audit.model import Role, User, new_id
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log
from audit.store import sessions as browser_sessions
from audit.store import users as store

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
PLAUSIBLE_UNIT = "光明社区居委会"
DEMO_NAMES = {Role.INSPECTOR: "演示督查员", Role.SUPERVISOR: "演示组长", Role.UNIT: "演示责任单位", Role.ADMIN: "演示管理员"}
_HASHER = PasswordHasher()
# Unknown usernames are checked against this so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
# No 0/o, 1/l/i: generated passwords are read off a screen and typed on a tablet.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def translatable(error: AuditError, key: str, **values) -> AuditError:
    """Attach the catalog key a page shows instead of the English message."""
    error.key, error.values = key, values
    return error


class SignInRefused(AuditError):
    title = "Sign-in refused"


def _wrong_credentials() -> SignInRefused:
    return translatable(SignInRefused("Wrong username or password."), "accounts.error.credentials")


def _locked(until: datetime) -> SignInRefused:
    time = f"{until:%H:%M}"
    message = (f"This account is locked after {MAX_FAILED_LOGINS} failed sign-ins until {time}. "
               "Try again then, or ask an administrator to reset the password.")
    return translatable(SignInRefused(message), "accounts.error.locked", time=time, count=MAX_FAILED_LOGINS)


def disabled_refusal() -> SignInRefused:
    return translatable(SignInRefused("This account is disabled. Ask an administrator to enable it."),
                        "accounts.error.disabled")


def _actor_name(actor: User | None) -> str:
    return actor.username if actor else command_line_actor()


def public_fields(user: User) -> dict:
    """What the audit log keeps of an account: never the password hash."""
    return {key: value.value if isinstance(value, Role) else value for key, value in asdict(user).items()}


def generate_password() -> str:
    """Twelve random characters in three groups, e.g. k7mp-x2qa-9tfe."""
    groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise translatable(InvalidInput(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.",
                                        field="password"), "accounts.error.password_short", count=MIN_PASSWORD_LENGTH)
    return password


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise translatable(InvalidInput(f"Role must be one of {names}.", field="role"),
                           "accounts.error.role", roles=names) from None


def unit_for(role: Role, unit: str | None) -> str | None:
    unit = (unit or "").strip() or None
    if role is Role.UNIT and unit is None:
        raise translatable(InvalidInput("A unit account needs its responsible unit: choose or type one.",
                                        field="unit"), "accounts.error.unit_required")
    return unit


def _username(username: str) -> str:
    name = (username or "").strip()
    if not name or any(ch.isspace() for ch in name) or len(name) > 64:
        raise translatable(InvalidInput("Username must be 1 to 64 characters with no spaces.", field="username"),
                           "accounts.error.username")
    return name


def _account(cursor, username: str) -> store.Account:
    account = store.find_account(cursor, username)
    if account is None:
        raise translatable(NotFound(f"There is no account named '{username}'.", field="username"),
                           "accounts.error.not_found", username=username)
    return account


def add_user(database: Database, actor: User | None, *, username: str, role: Role | str, password: str,
             display_name: str | None = None, unit: str | None = None) -> User:
    if actor is not None:
        require(actor, Permission.MANAGE_ACCOUNTS)
    name, role = _username(username), parse_role(role)
    user = User(id=new_id(), username=name, display_name=(display_name or "").strip() or name,
                role=role, unit=unit_for(role, unit))
    password_hash = _HASHER.hash(check_password(password))
    with database.write() as cursor:
        if store.find_account(cursor, name) is not None:
            raise translatable(Conflict(f"An account named '{name}' already exists.", field="username"),
                               "accounts.error.username_taken", username=name)
        store.insert_user(cursor, user, password_hash, now=datetime.now(), by=_actor_name(actor))
        audit_log.append(cursor, actor=_actor_name(actor), action="user.created", entity="user",
                         entity_id=user.id, after={**public_fields(user), "password": "set"})
    return user


def authenticate(database: Database, username: str, password: str, now: datetime | None = None) -> User:
    """The account for these credentials, or SignInRefused saying plainly why not.

    The slow hash check runs outside the write lock; the outcome is recorded under it.
    """
    now = now or datetime.now()
    with database.read() as cursor:
        account = store.find_account(cursor, username or "")
    if account is None:
        _matches(_DUMMY_HASH, password)
        raise _wrong_credentials()
    if account.locked_until is not None and account.locked_until > now:
        raise _locked(account.locked_until)
    if not _matches(account.password_hash, password):
        with database.write() as cursor:
            refusal = _failed(cursor, store.get_account(cursor, account.user.id), now)
        raise refusal  # outside the block, so the failure is committed, not rolled back
    if not account.user.active:
        raise disabled_refusal()  # said only to whoever knows the password
    with database.write() as cursor:
        record_sign_in(cursor, account, now, via="password")
    return account.user


def _matches(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password or "") and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _failed(cursor, account: store.Account, now: datetime) -> SignInRefused:
    """Count the failure; the fifth in a row locks the account for LOCK_MINUTES.

    `account` is read again under the write lock, so failures at the same moment all count.
    """
    if account.locked_until is not None and account.locked_until > now:
        return _locked(account.locked_until)  # locked meanwhile by a parallel attempt
    lock_expired = account.locked_until is not None
    failures = 1 if lock_expired else account.failed_logins + 1
    locked_until = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILED_LOGINS else None
    store.update_account(cursor, account.user.id, now=now, by=account.user.username,
                         failed_logins=failures, locked_until=locked_until)
    audit_log.append(cursor, actor=account.user.username, action="user.sign_in_failed", entity="user",
                     entity_id=account.user.id, after={"failed_logins": failures, "locked_until": locked_until})
    return _locked(locked_until) if locked_until else _wrong_credentials()


def record_sign_in(cursor, account: store.Account, now: datetime, *, via: str) -> None:
    if via == "password" and (account.failed_logins or account.locked_until):
        store.update_account(cursor, account.user.id, now=now, by=account.user.username,
                             failed_logins=0, locked_until=None)
    audit_log.append(cursor, actor=account.user.username, action="user.signed_in", entity="user",
                     entity_id=account.user.id, after={"via": via})


def list_accounts(database: Database, actor: User) -> list[store.Account]:
    """Every account with its lock state, for the administrator's table."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        return store.all_accounts(cursor)


def list_users(database: Database, actor: User | None) -> list[User]:
    if actor is not None:
        require(actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        return [account.user for account in store.all_accounts(cursor)]


def _change(database: Database, actor: User | None, username: str, action: str, check=None, **changes) -> User:
    """Apply changes to one account and log before and after, in one transaction."""
    if actor is not None:
        require(actor, Permission.MANAGE_ACCOUNTS)
    with database.write() as cursor:
        before = _account(cursor, username).user
        if check:
            check(cursor, before)
        public = {key: value for key, value in changes.items() if key in ("role", "unit", "active", "display_name")}
        after = replace(before, **public)
        if changes.get("active") is False or "password_hash" in changes:  # the account's sessions end with it
            browser_sessions.end_for_user(cursor, before.id, now=datetime.now(),
                                          reason="password_reset" if "password_hash" in changes else "disabled")
        store.update_account(cursor, before.id, now=datetime.now(), by=_actor_name(actor), **changes)
        logged_after = public_fields(after) if public else {"password": "changed"}
        audit_log.append(cursor, actor=_actor_name(actor), action=action, entity="user", entity_id=before.id,
                         before=public_fields(before) if public else None, after=logged_after)
    return after


def _keeps_an_admin(actor: User | None):
    """Refuse changes that would leave nobody able to manage accounts, or lock the actor out."""

    def check(cursor, before: User) -> None:
        if actor is not None and before.id == actor.id:
            raise translatable(PermissionDenied("You cannot disable your own account or change your own role.",
                                                field="username"), "accounts.error.self")
        if before.role is Role.ADMIN and before.active and store.active_admins(cursor) <= 1:
            raise translatable(Conflict("This is the last active administrator; make another one first.",
                                        field="username"), "accounts.error.last_admin")

    return check


def set_role(database: Database, actor: User | None, username: str, role: Role | str,
             unit: str | None = None, display_name: str | None = None) -> User:
    """Set role and unit (and optionally the display name) of an account."""
    role = parse_role(role)
    changes = {"role": role, "unit": unit_for(role, unit)}
    if display_name and display_name.strip():
        changes["display_name"] = display_name.strip()
    guard = _keeps_an_admin(actor)

    def check(cursor, before: User) -> None:
        if role is not before.role:
            guard(cursor, before)

    return _change(database, actor, username, "user.role_set", check, **changes)


def set_active(database: Database, actor: User | None, username: str, active: bool) -> User:
    check = None if active else _keeps_an_admin(actor)
    action = "user.enabled" if active else "user.disabled"
    return _change(database, actor, username, action, check, active=bool(active))


def reset_password(database: Database, actor: User | None, username: str, new_password: str | None = None) -> str:
    """Set a new password (a random one when none is given) and lift any lock; returns the password."""
    password = check_password(new_password) if new_password else generate_password()
    _change(database, actor, username, "user.password_reset", None,
            password_hash=_HASHER.hash(password), failed_logins=0, locked_until=None)
    return password


def current_account(database: Database, user: User) -> User | None:
    """The signed-in user as stored now: None once disabled, so a session ends at its next step.

    A user the store does not know (built directly by a test) is kept as it is.
    """
    with database.read() as cursor:
        account = store.get_account(cursor, user.id)
    if account is None:
        return user
    return account.user if account.user.active else None


def known_units(database: Database) -> list[str]:
    with database.read() as cursor:
        return store.responsible_units(cursor)


def is_demo(database: Database) -> bool:
    with database.read() as cursor:
        return store.is_demo(cursor)


def create_demo_accounts(database: Database) -> list[tuple[str, str, str]]:
    """One account per role with a fresh random password: (username, role, password), to print once.

    Run again, it gives the same accounts new passwords rather than failing. A database with
    these accounts is marked as a demo, so the login page says so.
    """
    with database.write() as cursor:
        store.mark_demo(cursor)
    units = known_units(database)
    created = []
    for role in Role:
        username = f"demo-{role.value}"
        unit = (units[0] if units else PLAUSIBLE_UNIT) if role is Role.UNIT else None
        password = generate_password()
        with database.read() as cursor:
            exists = store.find_account(cursor, username) is not None
        if exists:
            reset_password(database, None, username, password)
            set_role(database, None, username, role, unit)
            set_active(database, None, username, True)
        else:
            add_user(database, None, username=username, role=role, password=password, unit=unit,
                     display_name=DEMO_NAMES[role])
        created.append((username, role.value, password))
    return created
