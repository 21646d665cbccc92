"""Single sign-on: an identity provider's user becomes a session of the local account bound to it.

An account is bound to the provider's issuer and subject (`iss`, `sub`: the provider's own,
unchanging id of the person). The binding is made by an administrator, or at the first sign-in
whose email the provider has verified and which equals the email an administrator recorded on
exactly one unbound account. Names and unverified emails never decide who signs in: a person
can often choose their own username or email at the provider. A claim may decide the role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from audit.errors import InvalidInput
from audit.model import Role, User
from audit.services.accounts import (
    SignInRefused,
    acting,
    actor_name,
    disabled_refusal,
    named_account,
    parse_role,
    public_fields,
    record_sign_in,
    unit_for,
)
from audit.services.database import unit_of_work
from audit.services.permissions import Permission
from audit.store import Database, audit_log
from audit.store import users as store


@dataclass(frozen=True)
class SsoRoles:
    """Which identity-token claim decides the role, and the role each of its values gives."""

    claim: str
    roles: Mapping[str, Role]


def _sso_role(claims: Mapping, mapping: SsoRoles) -> Role:
    value = claims.get(mapping.claim)
    values = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)] if value else []
    for claim_value, role in mapping.roles.items():  # the first listed value the user holds wins
        if claim_value in values:
            return parse_role(role)
    raise SignInRefused("accounts.error.sso_no_role", claim=mapping.claim)


def _identity(claims: Mapping) -> tuple[str, str]:
    issuer, subject = str(claims.get("iss") or "").strip(), str(claims.get("sub") or "").strip()
    if not issuer or not subject:
        raise SignInRefused("accounts.error.sso_no_subject")
    return issuer, subject


def verified_email(claims: Mapping) -> str | None:
    """The email only when the provider says it checked it (`email_verified` true; some send "true")."""
    email = str(claims.get("email") or "").strip()
    verified = claims.get("email_verified")
    return email if email and (verified is True or str(verified).lower() == "true") else None


@unit_of_work
def sso_sign_in(
    database: Database, claims: Mapping, roles: SsoRoles | None = None, now: datetime | None = None
) -> User:
    """The active local account bound to this provider user, binding it first by verified email.

    With a role mapping, the claim decides the role and the local account is updated (and logged).
    """
    issuer, subject = _identity(claims)
    email = verified_email(claims)
    now = now or datetime.now()
    with database.write() as cursor:
        account = store.find_by_subject(cursor, issuer, subject) or _first_link(cursor, issuer, subject, email, now)
        if account is None:
            refusal = SignInRefused("accounts.error.sso_unknown", name=email or claims.get("email") or subject)
        elif not account.user.active:
            refusal = disabled_refusal()
        else:
            user = _sso_user(cursor, account.user, _sso_role(claims, roles) if roles else account.user.role, now)
            record_sign_in(cursor, account, now, via="sso")
            return user
    raise refusal


def _first_link(cursor, issuer: str, subject: str, email: str | None, now: datetime) -> store.Account | None:
    """Bind the one unbound account whose recorded email the provider verified; None if not exactly one."""
    if email is None:
        return None
    matches = [account for account in store.find_by_email(cursor, email) if account.sso_subject is None]
    if len(matches) != 1:
        return None
    account = matches[0]
    _bind(cursor, account, issuer, subject, now, by="sso", how="verified_email")
    return replace(account, sso_issuer=issuer, sso_subject=subject)


def _bind(
    cursor, account: store.Account, issuer: str | None, subject: str | None, now: datetime, *, by: str, how: str
) -> None:
    store.update_account(cursor, account.user.id, now=now, by=by, sso_issuer=issuer, sso_subject=subject)
    audit_log.append(
        cursor,
        actor=by,
        action="user.sso_linked" if subject else "user.sso_unlinked",
        entity="user",
        entity_id=account.user.id,
        before={"sso_issuer": account.sso_issuer, "sso_subject": account.sso_subject},
        after={"sso_issuer": issuer, "sso_subject": subject, "how": how},
    )


@unit_of_work
def link(database: Database, actor: User | None, username: str, issuer: str, subject: str) -> User:
    """An administrator binds an account to a provider's user (issuer and subject as the provider gives them)."""
    actor = acting(database, actor, Permission.MANAGE_ACCOUNTS)
    issuer, subject = (issuer or "").strip(), (subject or "").strip()
    if not issuer or not subject:
        raise InvalidInput("accounts.error.sso_link_fields", field="subject")
    with database.write() as cursor:
        account = named_account(cursor, username)
        bound = store.find_by_subject(cursor, issuer, subject)
        if bound is not None and bound.user.id != account.user.id:
            raise InvalidInput("accounts.error.sso_taken", field="subject", username=bound.user.username)
        _bind(cursor, account, issuer, subject, datetime.now(), by=actor_name(actor), how="admin")
    return account.user


@unit_of_work
def unlink(database: Database, actor: User | None, username: str) -> User:
    actor = acting(database, actor, Permission.MANAGE_ACCOUNTS)
    with database.write() as cursor:
        account = named_account(cursor, username)
        _bind(cursor, account, None, None, datetime.now(), by=actor_name(actor), how="admin")
    return account.user


def _sso_user(cursor, user: User, role: Role, now: datetime) -> User:
    if role is user.role:
        return user
    changed = replace(user, role=role, unit=unit_for(role, user.unit))
    store.update_account(cursor, user.id, now=now, by="sso", role=role)
    audit_log.append(
        cursor,
        actor="sso",
        action="user.role_set",
        entity="user",
        entity_id=user.id,
        before=public_fields(user),
        after=public_fields(changed),
    )
    return changed
