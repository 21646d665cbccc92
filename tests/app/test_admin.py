"""The administration page: accounts, checklist state, the audit-log check."""

from __future__ import annotations

import re
import shutil

import pytest

from audit import settings
from audit.services import accounts
from audit.store import open_database
from tests.app.screen import error_text
from tests.conftest import ROOT
from tests.markdown import shown

PASSWORD = "correct horse battery"


@pytest.fixture
def admin_app(make_app, app_db):
    database = open_database(app_db)
    admin = accounts.add_user(database, None, username="boss", role="admin", password=PASSWORD, display_name="管理员")
    accounts.add_user(database, admin, username="li.na", role="inspector", password=PASSWORD, display_name="李娜")
    database.close()

    def build(language=None):
        app = make_app(language)
        app.session_state["user"] = admin
        app.run()
        return app.switch_page("audit/ui/admin.py").run()

    return build


def button(app, label):
    return next(b for b in app.button if b.label == label)


def table(app, column="用户名") -> list[dict]:
    """The rows of the table that has this column, wherever the tabs put it."""
    return next(f.value for f in app.dataframe if column in f.value.columns).to_dict("records")


def sign_in_works(username, password) -> bool:
    from audit.ui.session import database

    return accounts.authenticate(database(), username, password).username == username


def test_the_accounts_table_comes_from_the_store(admin_app):
    app = admin_app()
    assert not app.exception
    assert table(app) == [
        {"用户名": "boss", "姓名": "管理员", "角色": "管理员", "责任单位": "", "状态": "启用"},
        {"用户名": "li.na", "姓名": "李娜", "角色": "督查人员", "责任单位": "", "状态": "启用"},
    ]


def test_creating_an_account_with_a_generated_password_shown_once(admin_app, app_db):
    app = admin_app()
    app.text_input(key="new.username").input("wang.qiang")
    app.text_input(key="new.display_name").input("王强")
    app.selectbox(key="new.role").select("supervisor")
    button(app, "创建账号").click().run()
    assert not app.exception
    assert app.success[0].value == "已创建账号“wang.qiang”。"
    password = app.code[0].value
    assert sign_in_works("wang.qiang", password)
    assert {"用户名": "wang.qiang", "姓名": "王强", "角色": "组长", "责任单位": "", "状态": "启用"} in table(app)
    assert app.text_input(key="new.username").value == ""  # the form is ready for the next one
    app.run()
    assert len(app.code) == 0  # shown once only


def test_a_unit_account_is_bound_to_a_unit_from_the_site_registry(admin_app, app_db):
    from audit.ui.session import database

    with database().write() as cursor:
        cursor.execute(
            "INSERT INTO sites (id, code, name_zh, name_en, kind, district_zh, district_en, subdistrict_zh, "
            "subdistrict_en, community_zh, community_en, unit_zh, unit_en) VALUES ('s1', 'S1', '隔离点', 'IP', "
            "'isolation_point', '崇川区', 'C', '虹桥街道', 'H', '光明社区', 'G', '光明社区居委会', 'Guangming')"
        )
    app = admin_app()
    assert app.selectbox(key="new.unit").options == ["光明社区居委会"]
    app.text_input(key="new.username").input("guangming")
    app.selectbox(key="new.role").select("unit")
    app.selectbox(key="new.unit").select("光明社区居委会")
    app.text_input(key="new.password").input("typed long password")
    button(app, "创建账号").click().run()
    assert len(app.code) == 0  # a typed password is not shown back
    assert {
        "用户名": "guangming",
        "姓名": "guangming",
        "角色": "责任单位",
        "责任单位": "光明社区居委会",
        "状态": "启用",
    } in table(app)


def test_a_short_password_is_refused_in_the_readers_language(admin_app):
    app = admin_app("en")
    app.text_input(key="new.username").input("wang")
    app.text_input(key="new.password").input("short")
    button(app, "Create account").click().run()
    assert error_text(app.error[0]) == "Password must be at least 10 characters long."
    assert app.text_input(key="new.username").value == "wang"  # nothing to type again


def choose(app, username):
    app.selectbox(key="edit.username").select(username).run()
    return app


def test_changing_role_disabling_and_resetting(admin_app, app_db):
    app = choose(admin_app(), "li.na")
    from audit.ui.session import database

    user_id = next(u.id for u in accounts.list_users(database(), None) if u.username == "li.na")
    app.selectbox(key=f"edit.{user_id}.role").select("supervisor")
    button(app, "保存角色和单位").click().run()
    assert app.success[0].value == "已更新账号“li.na”。"
    assert table(app)[1]["角色"] == "组长"
    button(app, "停用此账号").click().run()
    assert table(app)[1]["状态"] == "已停用"
    button(app, "启用此账号").click().run()
    button(app, "重置密码并解除锁定").click().run()
    assert app.success[0].value == "已重置“li.na”的密码。"
    assert sign_in_works("li.na", app.code[0].value)


def test_an_admin_cannot_disable_themself_here_either(admin_app):
    app = choose(admin_app(), "boss")
    button(app, "停用此账号").click().run()
    assert error_text(app.error[0]) == "不能停用自己的账号，也不能更改自己的角色。"


def test_checklists_loaded_and_failed_with_reasons(admin_app, tmp_path, monkeypatch):
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(ROOT / "checklists" / "ppe_use.yaml", folder)
    (folder / "broken.yaml").write_text("id: broken\nversion: [\n", encoding="utf-8")
    monkeypatch.setenv("AUDIT_CHECKLISTS", str(folder))
    settings.reload()
    app = admin_app("en")
    assert not app.exception
    checklists = table(app, "Content hash")
    assert [row["Id"] for row in checklists] == ["ppe_use"]
    assert checklists[0]["File"] == "ppe_use.yaml"
    assert any(c.value.startswith("1 checklists loaded, 1 problems.") for c in app.caption)
    assert [e.value for e in app.error if "broken.yaml:3: not valid YAML" in shown(e.value)]


def test_the_audit_log_check_counts_entries_and_names_a_changed_one(admin_app):
    app = admin_app()
    button(app, "立即校验审计日志").click().run()
    assert re.fullmatch(r"审计日志完好：已校验 \d+ 条记录。", app.success[0].value)
    from audit.ui.session import database

    with database().write() as cursor:
        cursor.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 2")
    button(app, "立即校验审计日志").click().run()
    assert app.error[0].value == "第 2 条记录未通过校验：记录内容与其哈希值不符，已被改动。其前 1 条记录完好。"


def test_an_admin_lifts_a_sign_in_lock_here(admin_app):
    from audit.ui.session import database

    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(database(), "li.na", "a wrong guess")
    app = choose(admin_app(), "li.na")
    assert table(app)[1]["状态"].startswith("锁定至")
    button(app, "解除登录锁定").click().run()
    assert app.success[0].value == "已解除“li.na”的登录锁定。"
    assert table(app)[1]["状态"] == "启用"
    assert sign_in_works("li.na", PASSWORD)


def test_a_common_password_is_refused_saying_why_in_chinese(admin_app):
    app = admin_app()
    app.text_input(key="new.username").input("wang")
    app.text_input(key="new.password").input("1234567890")
    button(app, "创建账号").click().run()
    assert error_text(app.error[0]).startswith("该密码属于攻击者最先尝试的常用密码")
    assert app.text_input(key="new.password").value == "1234567890"  # kept to change, not typed again
