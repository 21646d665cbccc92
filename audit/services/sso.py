"""Single sign-on: an identity provider's user becomes a session of the matching local account.

Administrators stay in charge of who gets in: without an active local account (matched by
username or email) the provider's word is not enough. A claim may decide the role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from audit.model import Role, User
from audit.services.accounts import (
    SignInRefused,
    disabled_refusal,
    parse_role,
    public_fields,
    record_sign_in,
    translatable,
    unit_for,
)
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
    raise translatable(SignInRefused(f"Your single sign-on '{mapping.claim}' gives no role in this tool. "
                                     "Ask an administrator."), "accounts.error.sso_no_role", claim=mapping.claim)


def sso_sign_in(database: Database, claims: Mapping, roles: SsoRoles | None = None,
                now: datetime | None = None) -> User:
    """The active local account matching the identity provider's user, by username or email.

    With a role mapping, the claim decides the role and the local account is updated (and logged).
    """
    names = [str(claims[key]).strip() for key in ("preferred_username", "email") if claims.get(key)]
    now = now or datetime.now()
    with database.write() as cursor:
        account = next(filter(None, (store.find_account(cursor, name) for name in names)), None)
        if account is None:
            refusal = translatable(SignInRefused(f"No account here matches '{' / '.join(names) or '?'}'. "
                                                 "Ask an administrator to create one."),
                                   "accounts.error.sso_unknown", name=" / ".join(names) or "?")
        elif not account.user.active:
            refusal = disabled_refusal()
        else:
            user = _sso_user(cursor, account.user, _sso_role(claims, roles) if roles else account.user.role, now)
            record_sign_in(cursor, account, now, via="sso")
            return user
    raise refusal


def _sso_user(cursor, user: User, role: Role, now: datetime) -> User:
    if role is user.role:
        return user
    changed = replace(user, role=role, unit=unit_for(role, user.unit))
    store.update_account(cursor, user.id, now=now, by="sso", role=role)
    audit_log.append(cursor, actor="sso", action="user.role_set", entity="user", entity_id=user.id,
                     before=public_fields(user), after=public_fields(changed))
    return changed
