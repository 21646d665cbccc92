"""Accounts service: hashing, sign-in and lockout, roles, who may manage accounts, demo accounts, SSO."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from audit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from audit.model import Role, User, new_id
from audit.services import accounts
from audit.services.accounts import SignInRefused
from audit.services.sso import SsoRoles, link, sso_sign_in
from audit.store import audit_log

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 1, 23, 0)


def make_admin(db, username="admin1") -> User:
    return accounts.add_user(db, None, username=username, role="admin", password=PASSWORD)


def log_text(db) -> str:
    with db.read() as cursor:
        rows = cursor.execute("SELECT action, before::VARCHAR, after::VARCHAR FROM audit_log ORDER BY seq").fetchall()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def stored_hash(db, username) -> str:
    with db.read() as cursor:
        return cursor.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()[0]


def test_a_new_account_keeps_only_an_argon2_hash_and_is_logged_without_it(db):
    admin = make_admin(db)
    user = accounts.add_user(db, admin, username="li.na", role="inspector", password=PASSWORD, display_name="李娜")
    assert (user.username, user.display_name, user.role) == ("li.na", "李娜", Role.INSPECTOR)
    assert stored_hash(db, "li.na").startswith("$argon2id$")
    assert PASSWORD not in stored_hash(db, "li.na")
    text = log_text(db)
    assert "user.created" in text and '"password":"set"' in text
    assert "$argon2" not in text and PASSWORD not in text
    with db.read() as cursor:
        entries = audit_log.history(cursor, "user", user.id)
    assert entries[0]["actor"] == "admin1" and entries[0]["after"]["role"] == "inspector"


def test_password_policy_names_the_rule(db):
    with pytest.raises(InvalidInput, match="at least 10 characters") as caught:
        accounts.add_user(db, None, username="short", role="admin", password="123456789")
    assert caught.value.field == "password"
    assert caught.value.key == "accounts.error.password_short"


def test_usernames_are_one_account_whatever_the_case(db):
    assert make_admin(db, "Zhang.Wei").username == "zhang.wei"
    with pytest.raises(Conflict, match="already exists"):
        make_admin(db, "zhang.wei")
    assert accounts.authenticate(db, "ZHANG.WEI", PASSWORD).username == "zhang.wei"


@pytest.mark.parametrize("username", ["", "   ", "two words", "x" * 65])
def test_usernames_name_the_characters_they_may_use(db, username):
    with pytest.raises(InvalidInput, match=r"only a-z 0-9 \. _ - @") as refused:
        accounts.add_user(db, None, username=username, role="admin", password=PASSWORD)
    assert refused.value.field == "username"


def test_a_unit_account_needs_its_unit(db):
    with pytest.raises(InvalidInput, match="unit") as caught:
        accounts.add_user(db, None, username="u", role="unit", password=PASSWORD)
    assert caught.value.field == "unit"
    user = accounts.add_user(db, None, username="u", role="unit", password=PASSWORD, unit="光明社区居委会")
    assert user.unit == "光明社区居委会"


def test_an_unknown_role_is_refused_naming_the_roles(db):
    with pytest.raises(InvalidInput, match="inspector, supervisor, unit, admin"):
        accounts.add_user(db, None, username="x", role="boss", password=PASSWORD)


def test_wrong_password_and_unknown_user_get_the_same_answer(db):
    make_admin(db)
    with pytest.raises(SignInRefused) as wrong_password:
        accounts.authenticate(db, "admin1", "not the password")
    with pytest.raises(SignInRefused) as unknown_user:
        accounts.authenticate(db, "nobody", PASSWORD)
    assert wrong_password.value.message == unknown_user.value.message
    assert wrong_password.value.message.startswith("Wrong username or password, or too many attempts.")


def test_five_failures_lock_the_account_for_fifteen_minutes(db):
    make_admin(db)
    for attempt in range(5):
        with pytest.raises(SignInRefused, match="Wrong username or password"):
            accounts.authenticate(db, "admin1", "guess", now=T0 + timedelta(minutes=attempt))
    with db.read() as cursor:
        assert cursor.execute("SELECT locked_until FROM users").fetchone()[0] == T0 + timedelta(minutes=19)
    with pytest.raises(SignInRefused, match="Wrong username or password"):  # even the right password waits
        accounts.authenticate(db, "admin1", PASSWORD, now=T0 + timedelta(minutes=18, seconds=59))
    assert accounts.authenticate(db, "admin1", PASSWORD, now=T0 + timedelta(minutes=19)).username == "admin1"
    with db.read() as cursor:
        failures = cursor.execute("SELECT failed_logins, locked_until FROM users").fetchone()
    assert failures == (0, None)
    assert log_text(db).count("user.sign_in_failed") == 6


def test_after_a_lock_expires_the_count_starts_again(db):
    make_admin(db)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.authenticate(db, "admin1", "guess", now=T0)
    with pytest.raises(SignInRefused, match="Wrong username"):
        accounts.authenticate(db, "admin1", "guess", now=T0 + timedelta(minutes=16))
    with db.read() as cursor:
        assert cursor.execute("SELECT failed_logins, locked_until FROM users").fetchone() == (1, None)


def test_a_disabled_account_is_told_so_only_with_the_right_password(db):
    admin = make_admin(db)
    accounts.add_user(db, admin, username="wang", role="inspector", password=PASSWORD)
    accounts.set_active(db, admin, "wang", False)
    with pytest.raises(SignInRefused, match="Wrong username or password"):
        accounts.authenticate(db, "wang", "guessing")
    with pytest.raises(SignInRefused, match="disabled"):
        accounts.authenticate(db, "wang", PASSWORD)
    accounts.set_active(db, admin, "wang", True)
    assert accounts.authenticate(db, "wang", PASSWORD).active


def test_sign_ins_are_in_the_audit_log(db):
    make_admin(db)
    accounts.authenticate(db, "admin1", PASSWORD)
    assert "user.signed_in" in log_text(db) and '"via":"password"' in log_text(db)


def test_role_and_unit_changes_are_logged_before_and_after(db):
    admin = make_admin(db)
    user = accounts.add_user(db, admin, username="zhao", role="inspector", password=PASSWORD)
    changed = accounts.set_role(db, admin, "zhao", "unit", unit="虹桥街道", display_name="赵")
    assert (changed.role, changed.unit, changed.display_name) == (Role.UNIT, "虹桥街道", "赵")
    with db.read() as cursor:
        last = audit_log.history(cursor, "user", user.id)[-1]
    assert last["action"] == "user.role_set"
    assert (last["before"]["role"], last["after"]["role"], last["after"]["unit"]) == ("inspector", "unit", "虹桥街道")
    assert accounts.authenticate(db, "zhao", PASSWORD).role is Role.UNIT


def test_a_reset_password_works_lifts_the_lock_and_is_logged_as_changed(db):
    admin = make_admin(db)
    accounts.add_user(db, admin, username="qian", role="supervisor", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.authenticate(db, "qian", "guess")
    generated = accounts.reset_password(db, admin, "qian")
    assert len(generated) >= accounts.MIN_PASSWORD_LENGTH
    assert accounts.authenticate(db, "qian", generated).username == "qian"
    typed = accounts.reset_password(db, admin, "qian", "another long one")
    assert typed == "another long one" and accounts.authenticate(db, "qian", typed)
    text = log_text(db)
    assert text.count('user.password_reset None {"password":"changed"}') == 2
    assert generated not in text and "$argon2" not in text
    with pytest.raises(InvalidInput, match="at least 10"):
        accounts.reset_password(db, admin, "qian", "short")


def test_changing_an_account_that_does_not_exist_says_so(db):
    admin = make_admin(db)
    with pytest.raises(NotFound, match="no account named 'ghost'"):
        accounts.set_active(db, admin, "ghost", False)


def test_an_admin_cannot_lock_themself_out_nor_remove_the_last_admin(db):
    admin = make_admin(db)
    with pytest.raises(PermissionDenied, match="your own account"):
        accounts.set_active(db, admin, "admin1", False)
    with pytest.raises(PermissionDenied, match="your own role"):
        accounts.set_role(db, admin, "admin1", "inspector")
    with pytest.raises(Conflict, match="last active administrator"):
        accounts.set_active(db, None, "admin1", False)
    second = make_admin(db, "admin2")
    assert accounts.set_active(db, second, "admin1", False).active is False
    assert accounts.set_role(db, second, "admin1", "admin", display_name="管理员甲").display_name == "管理员甲"


def as_role(db, role: Role) -> User:
    return accounts.add_user(
        db,
        None,
        username=f"a-{role.value}",
        role=role,
        password=PASSWORD,
        unit="光明社区居委会" if role is Role.UNIT else None,
    )


USE_CASES = {
    "add_user": lambda db, actor: accounts.add_user(db, actor, username="new", role="inspector", password=PASSWORD),
    "set_role": lambda db, actor: accounts.set_role(db, actor, "target", "supervisor"),
    "set_active": lambda db, actor: accounts.set_active(db, actor, "target", False),
    "reset_password": lambda db, actor: accounts.reset_password(db, actor, "target"),
    "list_users": lambda db, actor: accounts.list_users(db, actor),
    "list_accounts": lambda db, actor: accounts.list_accounts(db, actor),
}


@pytest.mark.parametrize("use_case", list(USE_CASES))
@pytest.mark.parametrize("role", list(Role))
def test_only_an_admin_manages_accounts(db, role, use_case):
    accounts.add_user(db, None, username="target", role="inspector", password=PASSWORD)
    actor = as_role(db, role)
    if role is Role.ADMIN:
        USE_CASES[use_case](db, actor)
    else:
        with pytest.raises(PermissionDenied):
            USE_CASES[use_case](db, actor)
        assert accounts.authenticate(db, "target", PASSWORD).role is Role.INSPECTOR


def test_a_disabled_admin_may_do_nothing_whatever_the_session_still_holds(db):
    admin, other = make_admin(db), make_admin(db, "admin2")
    accounts.set_active(db, other, "admin1", False)
    with pytest.raises(PermissionDenied, match="disabled or no longer exists"):
        accounts.list_users(db, admin)  # `admin` still says active; the store decides


def test_a_role_taken_away_applies_to_the_next_call(db):
    admin, other = make_admin(db), make_admin(db, "admin2")
    accounts.list_users(db, admin)
    accounts.set_role(db, other, "admin1", "inspector")
    with pytest.raises(PermissionDenied):
        accounts.list_users(db, admin)


def test_an_actor_the_store_does_not_know_may_do_nothing(db):
    stranger = User(id=new_id(), username="made.up", display_name="x", role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        accounts.list_users(db, stranger)


def test_a_session_sees_its_account_as_stored_now(db):
    admin = make_admin(db)
    user = accounts.add_user(db, admin, username="sun", role="inspector", password=PASSWORD)
    accounts.set_role(db, admin, "sun", "supervisor")
    assert accounts.current_account(db, user).role is Role.SUPERVISOR
    accounts.set_active(db, admin, "sun", False)
    assert accounts.current_account(db, user) is None


def add_site(db, unit: str) -> None:
    with db.write() as cursor:
        cursor.execute(
            "INSERT INTO sites (id, code, name_zh, name_en, kind, district_zh, district_en, subdistrict_zh, "
            "subdistrict_en, community_zh, community_en, unit_zh, unit_en) "
            "VALUES (?, 'S1', '隔离点', 'Isolation point', 'isolation_point', '崇川区', 'Chongchuan', "
            "'虹桥街道', 'Hongqiao', '光明社区', 'Guangming', ?, 'Unit')",
            [new_id(), unit],
        )


def test_demo_accounts_one_per_role_with_random_passwords(db):
    add_site(db, "崇川区卫健委集中隔离点")
    made = accounts.create_demo_accounts(db)
    assert [role for _, role, _ in made] == ["inspector", "supervisor", "unit", "admin"]
    for username, role, password in made:
        user = accounts.authenticate(db, username, password)
        assert user.role.value == role and len(password) >= accounts.MIN_PASSWORD_LENGTH
    unit_user = accounts.authenticate(db, made[2][0], made[2][2])
    assert unit_user.unit == "崇川区卫健委集中隔离点"
    again = accounts.create_demo_accounts(db)
    assert {p for _, _, p in made}.isdisjoint({p for _, _, p in again})
    assert len({p for _, _, p in made}) == 4
    for username, _, password in again:
        assert accounts.authenticate(db, username, password)
    assert not any(password in log_text(db) for _, _, password in made + again)
    assert accounts.is_demo(db)


def test_demo_unit_account_gets_a_plausible_unit_without_sites(db):
    made = dict((role, (name, pw)) for name, role, pw in accounts.create_demo_accounts(db))
    assert accounts.authenticate(db, *made["unit"]).unit == accounts.PLAUSIBLE_UNIT


def test_the_demo_mark_is_read_from_meta(db):
    assert accounts.is_demo(db) is False
    with db.write() as cursor:
        cursor.execute("INSERT INTO meta VALUES ('demo', 'true')")
    assert accounts.is_demo(db) is True


def test_generated_passwords_differ_and_avoid_lookalike_characters():
    passwords = {accounts.generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert not any(ch in p for p in passwords for ch in "01lio")


ROLES = SsoRoles(claim="groups", roles={"inspection-team": "inspector", "leaders": "supervisor"})
ZHOU = {"iss": "https://idp.example.cn", "sub": "8f2c"}


def test_sso_claim_decides_the_role_and_the_change_is_logged(db):
    user = accounts.add_user(db, None, username="zhou", role="inspector", password=PASSWORD)
    link(db, None, "zhou", ZHOU["iss"], ZHOU["sub"])
    signed_in = sso_sign_in(db, {**ZHOU, "groups": ["staff", "leaders"]}, ROLES)
    assert signed_in.role is Role.SUPERVISOR
    with db.read() as cursor:
        entries = audit_log.history(cursor, "user", user.id)
    assert [e["action"] for e in entries[-2:]] == ["user.role_set", "user.signed_in"]
    assert entries[-2]["actor"] == "sso" and entries[-2]["after"]["role"] == "supervisor"
    with pytest.raises(SignInRefused, match="\\(groups\\) gives no role"):
        sso_sign_in(db, {**ZHOU, "groups": ["visitors"]}, ROLES)
    with pytest.raises(SignInRefused, match="gives no role"):
        sso_sign_in(db, ZHOU, ROLES)
