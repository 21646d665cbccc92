"""Single sign-on binds an account to the provider's issuer and subject; names and unverified emails never sign in."""

from __future__ import annotations

import pytest

from audit.errors import InvalidInput, PermissionDenied
from audit.services import accounts
from audit.services.accounts import SignInRefused
from audit.services.sso import link, sso_sign_in, unlink

PASSWORD = "correct horse battery"
IDP = "https://idp.example.cn"


def logged(db, action: str) -> list[tuple]:
    with db.read() as cursor:
        return cursor.execute(
            "SELECT actor, entity_id, after->>'how' FROM audit_log WHERE action = ? ORDER BY seq", [action]
        ).fetchall()


def test_an_email_claim_equal_to_a_username_does_not_sign_in(db):
    accounts.add_user(db, None, username="admin@example.cn", role="admin", password=PASSWORD)
    accounts.add_user(db, None, username="zhou", role="admin", password=PASSWORD)
    for claims in (
        {"iss": IDP, "sub": "attacker", "email": "admin@example.cn", "email_verified": True},
        {"iss": IDP, "sub": "attacker", "preferred_username": "zhou", "email_verified": True},
    ):
        with pytest.raises(SignInRefused, match="No account here is linked"):
            sso_sign_in(db, claims)
    assert logged(db, "user.signed_in") == []


@pytest.mark.parametrize("verified", [False, None, "false", "yes"])
def test_an_unverified_email_never_matches(db, verified):
    accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD, email="li@example.cn")
    claims = {"iss": IDP, "sub": "li-at-idp", "email": "li@example.cn"}
    if verified is not None:
        claims["email_verified"] = verified
    with pytest.raises(SignInRefused):
        sso_sign_in(db, claims)
    assert logged(db, "user.sso_linked") == []


def test_a_verified_email_binds_once_then_the_subject_decides(db):
    li = accounts.add_user(db, None, username="li.na", role="inspector", password=PASSWORD, email="Li@Example.cn")
    first = sso_sign_in(db, {"iss": IDP, "sub": "li-at-idp", "email": "li@example.cn", "email_verified": True})
    assert first.id == li.id
    assert logged(db, "user.sso_linked") == [("sso", li.id, "verified_email")]
    # Later the provider's email may change or be missing: the bound subject still signs in.
    assert sso_sign_in(db, {"iss": IDP, "sub": "li-at-idp"}).id == li.id
    # Another provider user claiming the same verified email gets nothing: the account is bound already.
    with pytest.raises(SignInRefused):
        sso_sign_in(db, {"iss": IDP, "sub": "someone-else", "email": "li@example.cn", "email_verified": True})
    # The same subject from another issuer is another person.
    with pytest.raises(SignInRefused):
        sso_sign_in(db, {"iss": "https://other.example", "sub": "li-at-idp"})


def test_an_email_on_two_accounts_binds_neither(db):
    for name in ("li.na", "li.na2"):
        accounts.add_user(db, None, username=name, role="inspector", password=PASSWORD, email="li@example.cn")
    with pytest.raises(SignInRefused):
        sso_sign_in(db, {"iss": IDP, "sub": "li", "email": "li@example.cn", "email_verified": True})


def test_an_admin_links_and_unlinks_and_both_are_logged(db):
    admin = accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    zhou = accounts.add_user(db, admin, username="zhou", role="inspector", password=PASSWORD)
    link(db, admin, "zhou", IDP, "zhou-sub")
    assert sso_sign_in(db, {"iss": IDP, "sub": "zhou-sub"}).id == zhou.id
    with pytest.raises(InvalidInput, match="already linked to the account 'zhou'"):
        link(db, admin, "admin1", IDP, "zhou-sub")
    unlink(db, admin, "zhou")
    with pytest.raises(SignInRefused):
        sso_sign_in(db, {"iss": IDP, "sub": "zhou-sub"})
    assert [how for _, _, how in logged(db, "user.sso_linked") + logged(db, "user.sso_unlinked")] == ["admin", "admin"]
    with pytest.raises(PermissionDenied):
        link(db, zhou, "zhou", IDP, "x")


def test_a_disabled_bound_account_is_refused(db):
    admin = accounts.add_user(db, None, username="admin1", role="admin", password=PASSWORD)
    accounts.add_user(db, admin, username="gone", role="inspector", password=PASSWORD)
    link(db, admin, "gone", IDP, "gone-sub")
    accounts.set_active(db, admin, "gone", False)
    with pytest.raises(SignInRefused, match="disabled"):
        sso_sign_in(db, {"iss": IDP, "sub": "gone-sub"})


def test_claims_without_issuer_or_subject_are_refused(db):
    with pytest.raises(SignInRefused, match="did not say who you are"):
        sso_sign_in(db, {"email": "li@example.cn", "email_verified": True})
