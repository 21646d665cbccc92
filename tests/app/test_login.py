"""The login gate in the app: sign in, wrong password, lockout and its end, idle expiry, sign out."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from audit import settings
from audit.model import Role, User
from audit.services import accounts
from audit.store import open_database
from audit.ui.session import database as shared_database
from tests.app.screen import error_text

PASSWORD = "correct horse battery"


class Clock:
    """Stands in for audit.ui.session.now so a test can move time on."""

    def __init__(self):
        self.moment = datetime(2026, 3, 1, 23, 0)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("audit.ui.session.now", clock)
    return clock


def add_account(db_path, username="li.na", role="inspector", unit=None, demo=False, email=None) -> User:
    database = open_database(db_path)
    user = accounts.add_user(
        database, None, username=username, role=role, password=PASSWORD, display_name="李娜", unit=unit, email=email
    )
    if demo:
        with database.write() as cursor:
            cursor.execute("INSERT INTO meta VALUES ('demo', 'true')")
    database.close()
    return user


def sign_in(app, username, password):
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    return app.button[0].click().run()


def on_login_page(app) -> bool:
    return [title.value for title in app.title] == ["登录督查整改台账"]


def test_signed_out_only_the_login_page_exists(make_app):
    app = make_app().run()
    assert not app.exception and on_login_page(app)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("audit/ui/home.py")
    app.switch_page("audit/ui/login.py").run()
    assert on_login_page(app)


def test_sign_in_shows_who_is_signed_in(make_app, app_db):
    add_account(app_db)
    app = sign_in(make_app().run(), "li.na", PASSWORD)
    assert not app.exception
    assert app.title[0].value == "督查整改概况"
    assert app.session_state["user"].username == "li.na"
    assert [c.value for c in app.caption[:1]] == ["已登录：李娜（督查人员）"]


def test_wrong_password_says_so_without_saying_which(make_app, app_db):
    add_account(app_db)
    app = sign_in(make_app().run(), "li.na", "not the password")
    assert on_login_page(app)
    assert error_text(app.error[0]).startswith("用户名或密码不正确，或尝试次数过多。")
    app = sign_in(make_app("en").run(), "nobody", PASSWORD)
    assert error_text(app.error[0]).startswith("Wrong username or password, or too many attempts.")


def test_five_failures_lock_and_fifteen_minutes_unlock(make_app, app_db, clock):
    add_account(app_db)
    app = make_app().run()
    for _ in range(5):
        app = sign_in(app, "li.na", "guess")
        assert error_text(app.error[0]).startswith("用户名或密码不正确")
    clock.advance(minutes=14, seconds=59)
    app = sign_in(app, "li.na", PASSWORD)
    assert on_login_page(app) and error_text(app.error[0]).startswith("用户名或密码不正确")  # locked says no more
    clock.advance(seconds=1)
    app = sign_in(app, "li.na", PASSWORD)
    assert not app.exception and app.title[0].value == "督查整改概况"


def test_an_idle_session_ends_with_a_plain_message(make_app, app_db, clock, monkeypatch):
    monkeypatch.setenv("AUDIT_IDLE_MINUTES", "20")
    settings.reload()
    add_account(app_db)
    app = sign_in(make_app().run(), "li.na", PASSWORD)
    clock.advance(minutes=19)
    app.run()
    assert app.title[0].value == "督查整改概况"  # still within the idle time; activity restarts it
    clock.advance(minutes=19)
    app.run()
    assert app.title[0].value == "督查整改概况"
    clock.advance(minutes=20, seconds=1)
    app.run()
    assert on_login_page(app) and "user" not in app.session_state
    assert app.info[0].value == "您已长时间未操作，为保护数据已自动退出登录，请重新登录。"


def test_a_session_without_last_active_counts_from_its_first_run(make_app, signed_in):
    app = make_app()
    signed_in(app, "supervisor")
    app.run()
    assert app.title[0].value == "督查整改概况"
    app.session_state["last_active"] = time.time() - 31 * 60
    app.run()
    assert on_login_page(app)


def test_sign_out_from_the_top_bar(make_app, app_db):
    add_account(app_db)
    app = sign_in(make_app().run(), "li.na", PASSWORD)
    app.button(key="sign_out").click().run()
    assert on_login_page(app) and "user" not in app.session_state
    assert app.info[0].value == "您已退出登录。"


def test_a_disabled_account_is_signed_out_at_its_next_step(make_app, app_db):
    add_account(app_db)
    add_account(app_db, "boss", "admin")
    app = sign_in(make_app().run(), "li.na", PASSWORD)
    boss = accounts.authenticate(shared_database(), "boss", PASSWORD)  # the server holds the file
    accounts.set_active(shared_database(), boss, "li.na", False)
    app.run()
    assert on_login_page(app)
    assert app.info[0].value.startswith("您的账号已被停用")


def test_the_login_page_says_when_the_database_is_a_demo(make_app, app_db):
    add_account(app_db, demo=True)
    app = make_app("en").run()
    assert "This is a demo database" in app.warning[0].value
    assert "passwords were shown once in the terminal" in app.warning[0].value


def test_a_real_database_has_no_demo_notice(make_app, app_db):
    add_account(app_db)
    assert len(make_app().run().warning) == 0


SSO_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "audit",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known",
    },
    "audit_sso": {"claim": "groups", "roles": {"leaders": "supervisor"}},
}


def sso_app(make_app, claims):
    app = make_app()
    app.secrets = SSO_SECRETS
    app.user = {"is_logged_in": True, **claims}
    return app.run()


IDP = {"iss": "https://idp.example.cn", "sub": "li-at-idp"}


def test_single_sign_on_maps_the_claim_to_a_role(make_app, app_db):
    add_account(app_db, "li.na", email="li@example.cn")
    app = sso_app(make_app, {**IDP, "email": "li@example.cn", "email_verified": True, "groups": ["leaders"]})
    assert not app.exception
    assert app.session_state["user"].role is Role.SUPERVISOR
    assert app.caption[0].value == "已登录：李娜（组长）"


def test_single_sign_on_refuses_a_stranger_plainly(make_app, app_db):
    app = sso_app(make_app, {**IDP, "email": "stranger@example.cn", "email_verified": True, "groups": ["leaders"]})
    assert on_login_page(app)
    assert (
        error_text(app.error[0])
        == "本系统中没有与您的统一身份认证账号（stranger@example.cn）关联的账号，请联系管理员关联或开设。"
    )
    assert [b.label for b in app.button] == ["登录", "换一个统一身份认证账号"]


def test_with_auth_secrets_single_sign_on_is_offered(make_app):
    app = make_app()
    app.secrets = SSO_SECRETS
    app.user = {"is_logged_in": False}
    app.run()
    assert on_login_page(app)
    assert [b.label for b in app.button] == ["登录", "使用单位统一身份认证登录"]


def test_without_auth_secrets_there_is_no_single_sign_on_button(make_app):
    app = make_app().run()
    assert [b.label for b in app.button] == ["登录"]


def test_signing_out_of_a_single_sign_on_session_ends_it_at_the_provider_too(make_app, app_db):
    add_account(app_db, "li.na", email="li@example.cn")
    app = sso_app(make_app, {**IDP, "email": "li@example.cn", "email_verified": True, "groups": ["leaders"]})
    app.button(key="sign_out").click().run()
    assert app.user == {"is_logged_in": False}
    assert on_login_page(app)


def test_a_refused_single_sign_on_is_not_retried_in_the_same_session(make_app, app_db):
    app = sso_app(make_app, {**IDP, "email": "stranger@example.cn", "email_verified": True})
    add_account(
        app_db, "stranger", email="stranger@example.cn"
    )  # created meanwhile; the refusal stands until they choose again
    app.run()
    assert on_login_page(app)
    app.button[1].click().run()  # "use another account" leaves the provider's session
    assert app.user == {"is_logged_in": False}


def test_an_email_claim_equal_to_a_username_does_not_sign_in(make_app, app_db):
    add_account(app_db, "admin@example.cn", role="admin")
    app = sso_app(make_app, {**IDP, "email": "admin@example.cn", "email_verified": True})
    assert on_login_page(app) and "user" not in app.session_state
