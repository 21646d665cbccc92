"""Accounts and sign-in: argon2 password hashes, attempt limits, roles.

Every change is written to the audit log in the same transaction, never with a password
hash in it. `actor=None` means the command line or bootstrap, run by whoever holds the
database file. A signed-in actor is read again from the store on every call (`acting`), so a
disabled account or a changed role takes effect at the next call, whatever the caller holds.

Sign-in counts an attempt before the password is checked, in one write transaction per
account and per client address, so attempts that arrive together cannot exceed the limits;
unknown, locked, throttled and wrong all get the same answer after the same work (one argon2
verification and two short transactions), and each attempt is logged.
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
from audit.services.credentials import (
    MIN_PASSWORD_LENGTH,
    USERNAME_CHARACTERS,
    check_username,
    confusable_with,
    generate_password,
    normal_username,
)
from audit.services.credentials import check_password as _check_password
from audit.services.database import unit_of_work
from audit.services.permissions import Permission, require
from audit.store import Database, audit_log
from audit.store import sessions as browser_sessions
from audit.store import users as store

__all__ = ["MIN_PASSWORD_LENGTH", "USERNAME_CHARACTERS", "generate_password"]

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
# Attempts one client address may make in LOCK_MINUTES: a shared office address has room, a guesser has not.
MAX_ADDRESS_ATTEMPTS = 30
LOCAL_ADDRESS = "local"
PLAUSIBLE_UNIT = "光明社区居委会"
DEMO_NAMES = {
    Role.INSPECTOR: "演示督查员",
    Role.SUPERVISOR: "演示组长",
    Role.UNIT: "演示责任单位",
    Role.ADMIN: "演示管理员",
}
_HASHER = PasswordHasher()
# Checked whenever there is no real hash to check, so every refusal costs one verification.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


class SignInRefused(AuditError):
    title_key = "error.title.sign_in_refused"


def _refused() -> SignInRefused:
    """The one answer for an unknown name, a wrong password, a locked account and a throttled address."""
    return SignInRefused("accounts.error.credentials", count=MAX_FAILED_LOGINS, minutes=LOCK_MINUTES)


def disabled_refusal() -> SignInRefused:
    return SignInRefused("accounts.error.disabled")


def actor_name(actor: User | None) -> str:
    return actor.username if actor else command_line_actor()


def public_fields(user: User) -> dict:
    """What the audit log keeps of an account: never the password hash."""
    return {key: value.value if isinstance(value, Role) else value for key, value in asdict(user).items()}


def check_password(password: str, username: str = "", display_name: str = "") -> str:
    return _check_password(password, username, other_inputs=(display_name,))


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput("accounts.error.role", field="role", roles=", ".join(r.value for r in Role)) from None


def unit_for(role: Role, unit: str | None) -> str | None:
    unit = (unit or "").strip() or None
    if role is Role.UNIT and unit is None:
        raise InvalidInput("accounts.error.unit_required", field="unit")
    return unit


def _email(email: str | None) -> str | None:
    email = normal_username(email) or None
    if email is not None and (email.count("@") != 1 or " " in email or len(email) > 254):
        raise InvalidInput("accounts.error.email", field="email")
    return email


def named_account(cursor, username: str) -> store.Account:
    account = store.find_account(cursor, normal_username(username))
    if account is None:
        raise NotFound("accounts.error.not_found", field="username", username=username)
    return account


def acting(database: Database, actor: User | None, permission: Permission) -> User | None:
    """The actor as stored now, if it may do this (see permissions.current); None stays the command line."""
    return None if actor is None else require(actor, permission, database)


@unit_of_work
def add_user(
    database: Database,
    actor: User | None,
    *,
    username: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    unit: str | None = None,
    email: str | None = None,
) -> User:
    actor = acting(database, actor, Permission.MANAGE_ACCOUNTS)
    name, role = check_username(username), parse_role(role)
    user = User(
        id=new_id(),
        username=name,
        display_name=(display_name or "").strip() or name,
        role=role,
        unit=unit_for(role, unit),
    )
    email = _email(email)
    password_hash = _HASHER.hash(check_password(password, name, user.display_name))
    with database.write() as cursor:
        if store.find_account(cursor, name) is not None:
            raise Conflict("accounts.error.username_taken", field="username", username=name)
        similar = confusable_with(name, [account.user.username for account in store.all_accounts(cursor)])
        if similar is not None:
            raise Conflict("accounts.error.username_confusable", field="username", username=name, other=similar)
        store.insert_user(cursor, user, password_hash, now=datetime.now(), by=actor_name(actor), email=email)
        audit_log.append(
            cursor,
            actor=actor_name(actor),
            action="user.created",
            entity="user",
            entity_id=user.id,
            after={**public_fields(user), "email": email, "password": "set"},
        )
    return user


def client_address(address: str | None) -> str:
    """The key sign-in throttles a client by: its address, or one shared key for this machine."""
    return (address or "").strip() or LOCAL_ADDRESS


@unit_of_work
def authenticate(
    database: Database, username: str, password: str, now: datetime | None = None, address: str | None = None
) -> User:
    """The account for these credentials, or SignInRefused.

    1. Count the attempt for the client address and the account, atomically, before any check.
    2. Verify one argon2 hash: the account's if the attempt was counted, a dummy one otherwise.
    3. Record the outcome and log the attempt. A success while the account was locked meanwhile
       by parallel failures is refused too.
    """
    now = now or datetime.now()
    name, address = normal_username(username), client_address(address)
    window_from = now - timedelta(minutes=LOCK_MINUTES)
    with database.write() as cursor:
        account = store.find_account(cursor, name) if name else None
        counted, reason = False, None
        if store.reserve_address(cursor, address, now=now, window_from=window_from, limit=MAX_ADDRESS_ATTEMPTS) is None:
            reason = "address"
        elif account is None:
            reason = "unknown"
        else:
            counted = (
                store.reserve_check(cursor, account.user.id, now=now, window_from=window_from, limit=MAX_FAILED_LOGINS)
                is not None
            )
            reason = None if counted else "locked"
    real_hash = account.password_hash if counted else None
    right = _matches(real_hash or _DUMMY_HASH, password) and real_hash is not None
    with database.write() as cursor:
        outcome = _record(cursor, account, name, address, now, counted, right, reason)
    if isinstance(outcome, AuditError):
        raise outcome  # outside the block, so the attempt is committed, not rolled back
    return outcome


def _record(
    cursor,
    account: store.Account | None,
    name: str,
    address: str,
    now: datetime,
    counted: bool,
    right: bool,
    reason: str | None,
) -> User | AuditError:
    """Log one attempt and settle its counts; the user signed in, or the refusal to raise."""
    entity_id = account.user.id if account else None
    if right:
        stored = store.get_account(cursor, account.user.id)
        if stored.locked_until is not None and stored.locked_until > now:
            right, reason = False, "locked"
        else:
            store.release_check(cursor, account.user.id)
            store.release_address(cursor, address)
            if not stored.user.active:
                _log_attempt(cursor, name, entity_id, address, "disabled", stored)
                return disabled_refusal()  # said only to whoever knows the password
            record_sign_in(cursor, stored, now, via="password", address=address)
            return stored.user
    state = None
    if account is not None and counted:
        reason = reason or "wrong"
        store.lock_if_full(
            cursor, account.user.id, now=now, limit=MAX_FAILED_LOGINS, until=now + timedelta(minutes=LOCK_MINUTES)
        )
        state = store.get_account(cursor, account.user.id)
    _log_attempt(cursor, name, entity_id, address, reason, state)
    return _refused()


def _log_attempt(
    cursor, name: str, entity_id: str | None, address: str, reason: str, state: store.Account | None
) -> None:
    after = {"username": name, "address": address, "reason": reason}
    if state is not None:
        after |= {"failed_logins": state.failed_logins, "locked_until": state.locked_until}
    audit_log.append(
        cursor, actor=name or "?", action="user.sign_in_failed", entity="user", entity_id=entity_id, after=after
    )


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def record_sign_in(cursor, account: store.Account, now: datetime, *, via: str, address: str | None = None) -> None:
    after = {"via": via} if address is None else {"via": via, "address": address}
    audit_log.append(
        cursor,
        actor=account.user.username,
        action="user.signed_in",
        entity="user",
        entity_id=account.user.id,
        after=after,
    )


@unit_of_work
def unlock(database: Database, actor: User | None, username: str) -> User:
    """Lift an account's lock and forget its counted attempts; the password stays."""
    actor = acting(database, actor, Permission.MANAGE_ACCOUNTS)
    with database.write() as cursor:
        account = named_account(cursor, username)
        store.update_account(
            cursor,
            account.user.id,
            now=datetime.now(),
            by=actor_name(actor),
            failed_logins=0,
            locked_until=None,
            attempt_window=None,
        )
        audit_log.append(
            cursor,
            actor=actor_name(actor),
            action="user.unlocked",
            entity="user",
            entity_id=account.user.id,
            before={"failed_logins": account.failed_logins, "locked_until": account.locked_until},
            after={"failed_logins": 0, "locked_until": None},
        )
    return account.user


def list_accounts(database: Database, actor: User) -> list[store.Account]:
    """Every account with its lock state, for the administrator's table."""
    acting(database, actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        return store.all_accounts(cursor)


def list_users(database: Database, actor: User | None) -> list[User]:
    acting(database, actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        return [account.user for account in store.all_accounts(cursor)]


@unit_of_work
def _change(database: Database, actor: User | None, username: str, action: str, check=None, **changes) -> User:
    """Apply changes to one account and log before and after, in one transaction."""
    actor = acting(database, actor, Permission.MANAGE_ACCOUNTS)
    with database.write() as cursor:
        account = named_account(cursor, username)
        before = account.user
        if check:
            check(cursor, before, actor)
        public = {key: value for key, value in changes.items() if key in ("role", "unit", "active", "display_name")}
        after = replace(before, **public)
        if changes.get("active") is False or "password_hash" in changes:  # the account's sessions end with it
            browser_sessions.end_for_user(
                cursor,
                before.id,
                now=datetime.now(),
                reason="password_reset" if "password_hash" in changes else "disabled",
            )
        store.update_account(cursor, before.id, now=datetime.now(), by=actor_name(actor), **changes)
        if "email" in changes:
            logged_before = {**public_fields(before), "email": account.email}
            logged_after = {**public_fields(after), "email": changes["email"]}
        elif public:
            logged_before, logged_after = public_fields(before), public_fields(after)
        else:
            logged_before, logged_after = None, {"password": "changed"}
        audit_log.append(
            cursor,
            actor=actor_name(actor),
            action=action,
            entity="user",
            entity_id=before.id,
            before=logged_before,
            after=logged_after,
        )
    return after


def _keeps_an_admin(cursor, before: User, actor: User | None) -> None:
    """Refuse changes that would leave nobody able to manage accounts, or lock the actor out."""
    if actor is not None and before.id == actor.id:
        raise PermissionDenied("accounts.error.self", field="username")
    if before.role is Role.ADMIN and before.active and store.active_admins(cursor) <= 1:
        raise Conflict("accounts.error.last_admin", field="username")


def set_role(
    database: Database,
    actor: User | None,
    username: str,
    role: Role | str,
    unit: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """Set role and unit (and optionally the display name and the email single sign-on may match)."""
    role = parse_role(role)
    changes = {"role": role, "unit": unit_for(role, unit)}
    if display_name and display_name.strip():
        changes["display_name"] = display_name.strip()
    if email is not None:
        changes["email"] = _email(email)

    def check(cursor, before: User, actor: User | None) -> None:
        if role is not before.role:
            _keeps_an_admin(cursor, before, actor)

    return _change(database, actor, username, "user.role_set", check, **changes)


def set_active(database: Database, actor: User | None, username: str, active: bool) -> User:
    check = None if active else _keeps_an_admin
    action = "user.enabled" if active else "user.disabled"
    return _change(database, actor, username, action, check, active=bool(active))


def reset_password(database: Database, actor: User | None, username: str, new_password: str | None = None) -> str:
    """Set a new password (a random one when none is given) and lift any lock; returns the password."""
    acting(database, actor, Permission.MANAGE_ACCOUNTS)
    with database.read() as cursor:
        target = named_account(cursor, username).user
    password = (
        check_password(new_password, target.username, target.display_name) if new_password else generate_password()
    )
    _change(
        database,
        actor,
        username,
        "user.password_reset",
        None,
        password_hash=_HASHER.hash(password),
        failed_logins=0,
        locked_until=None,
        attempt_window=None,
    )
    return password


def current_account(database: Database, user: User) -> User | None:
    """The signed-in user as stored now: None once disabled or gone, so a session ends at its next step."""
    with database.read() as cursor:
        account = store.get_account(cursor, user.id)
    return account.user if account is not None and account.user.active else None


def known_units(database: Database) -> list[str]:
    with database.read() as cursor:
        return store.responsible_units(cursor)


def is_demo(database: Database) -> bool:
    with database.read() as cursor:
        return store.is_demo(cursor)


@unit_of_work
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
            add_user(
                database,
                None,
                username=username,
                role=role,
                password=password,
                unit=unit,
                display_name=DEMO_NAMES[role],
            )
        created.append((username, role.value, password))
    return created
