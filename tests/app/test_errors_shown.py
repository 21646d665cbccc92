"""Refusals and storage faults reach a Chinese page in Chinese, with their title, never as a trace."""

from __future__ import annotations

from datetime import datetime

from audit.services import accounts
from audit.store import open_database
from audit.store import users as user_store
from tests.app.screen import error_text, error_title
from tests.reliability.faults import held_by_another_process

PASSWORD = "correct-horse-9"


def sign_in(app, username: str):
    app.text_input[0].input(username)
    app.text_input[1].input(PASSWORD)
    return app.button[0].click().run()


def test_a_database_held_by_another_program_is_said_in_chinese(make_app, app_db):
    open_database(app_db).close()
    with held_by_another_process(app_db) as pid:
        app = make_app().run()
    assert not app.exception
    [shown] = app.error
    assert error_title(shown) == "数据库不可用"
    assert error_text(shown) == (
        f"数据库 {app_db} 正被另一个程序（进程 {pid}）占用，通常是正在运行的本系统。"
        "请先关闭该程序，或通过本系统操作，然后重试。"
    )


def test_the_same_fault_reads_in_english_on_an_english_page(make_app, app_db):
    open_database(app_db).close()
    with held_by_another_process(app_db):
        app = make_app("en").run()
    assert error_title(app.error[0]) == "Database unavailable"
    assert error_text(app.error[0]).startswith(f"The database {app_db} is in use by another program")


def test_a_unit_account_without_its_unit_is_refused_in_chinese(make_app, app_db):
    database = open_database(app_db)
    user = accounts.add_user(
        database,
        None,
        username="guosheng",
        role="unit",
        password=PASSWORD,
        display_name="国胜社区",
        unit="国胜社区居委会",
    )
    with database.write() as cursor:  # as an account made before units were required would be
        user_store.update_account(cursor, user.id, now=datetime.now(), by="test", unit=None)
    database.close()
    app = sign_in(make_app().run(), "guosheng")
    assert not app.exception
    [shown] = app.error
    assert error_title(shown) == "无权操作"
    assert error_text(shown) == "责任单位账号 guosheng 尚未设置所属单位，请联系管理员。"


def test_what_people_typed_is_shown_as_typed_in_an_error(make_app, app_db):
    typed = "![x](https://example.invalid/x.png)"
    database = open_database(app_db)
    accounts.add_user(database, None, username="admin", role="admin", password=PASSWORD)
    database.close()
    app = sign_in(make_app().run(), "admin")
    app.switch_page("audit/ui/admin.py").run()
    app.text_input(key="new.username").input(typed)
    app.text_input(key="new.password").input(PASSWORD)
    next(button for button in app.button if button.label == "创建账号").click().run()
    assert error_title(app.error[0]) == "输入有误"
    assert "![x](" not in app.error[0].value  # Markdown would make the reader's browser fetch the address
