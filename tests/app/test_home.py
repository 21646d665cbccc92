from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit.model import Status
from audit.store import open_database
from audit.store.findings import insert_finding
from tests.factories import make_finding
from tests.factories import seed_home as seed


def home(make_app, signed_in, language=None, who="supervisor", **fields):
    app = make_app(language)
    signed_in(app, who, **fields)
    return app


def metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def test_home_shows_counts_from_the_store_in_chinese(make_app, app_db, signed_in):
    seed(app_db)
    app = home(make_app, signed_in).run()
    assert not app.exception
    assert app.title[0].value == "督查整改概况"
    assert metrics(app) == {"已提交检查": "0", "发现问题": "3", "未销号问题": "2", "逾期问题": "1"}


def test_home_speaks_english_when_chosen(make_app, app_db, signed_in):
    seed(app_db)
    app = home(make_app, signed_in, "en").run()
    assert not app.exception
    assert app.title[0].value == "Inspection and rectification overview"
    assert metrics(app) == {
        "Inspections submitted": "0",
        "Findings": "3",
        "Open findings": "2",
        "Overdue findings": "1",
    }


@pytest.mark.parametrize("language, text", [("zh-CN", "还没有检查记录"), ("en", "holds no inspections yet")])
def test_an_empty_database_says_so(make_app, language, text, signed_in):
    app = home(make_app, signed_in, language).run()
    assert not app.exception
    assert app.metric == [] or len(app.metric) == 0
    assert text in app.info[0].value


def test_switching_language_from_the_top_bar(make_app, signed_in):
    app = home(make_app, signed_in).run()
    app.segmented_control(key="language").set_value("en").run()
    assert app.title[0].value == "Inspection and rectification overview"


def test_a_unit_account_counts_only_its_own_findings(make_app, app_db, signed_in):
    seed(app_db)
    database = open_database(app_db)
    with database.write() as cursor:
        insert_finding(cursor, make_finding("2026-0004", responsible_unit="光明社区居委会"))
    database.close()
    app = home(make_app, signed_in, who="unit", username="guangming", display_name="光明社区").run()
    assert not app.exception
    assert metrics(app)["发现问题"] == "1"
    assert metrics(home(make_app, signed_in).run())["发现问题"] == "4"


# --- Each role's work list ----------------------------------------------------------------


def role_account(app_db, role: str, unit: str | None = None):
    from audit.services.accounts import add_user, generate_password

    database = open_database(app_db)
    try:
        return add_user(database, None, username=f"home-{role}", role=role, password=generate_password(), unit=unit)
    finally:
        database.close()


def test_a_unit_home_lists_its_open_findings_with_colour_and_next_step(make_app, app_db, signed_in):
    today = date.today()
    from tests.factories import add_ledger_site as add_site

    database = open_database(app_db)
    with database.write() as cursor:
        site = add_site(cursor, "光明发热门诊", unit="光明社区居委会")
        insert_finding(
            cursor,
            make_finding(
                "2026-0301",
                site_id=site,
                responsible_unit="光明社区居委会",
                deadline=today - timedelta(days=9),
                description="[x](http://e.example)",
            ),
        )
        insert_finding(
            cursor,
            make_finding(
                "2026-0302",
                site_id=site,
                responsible_unit="光明社区居委会",
                deadline=today + timedelta(days=1),
                status=Status.AWAITING_VERIFICATION,
            ),
        )
        insert_finding(cursor, make_finding("2026-0303", site_id=site, responsible_unit="别的单位", deadline=today))
    database.close()
    unit = role_account(app_db, "unit", "光明社区居委会")
    app = home(make_app, signed_in, who=unit).run()
    assert not app.exception
    assert app.subheader[0].value == "本单位未销号的问题（2）"
    lines = [text.value for text in app.text]
    assert lines[0].startswith("🟥 2026-0301") and "请整改并上报" in lines[0] and "[x](http://e.example)" in lines[0]
    assert lines[1].startswith("🟦 2026-0302") and "已上报，等待验收" in lines[1]
    assert not any("2026-0303" in line for line in lines)
    next(b for b in app.button if b.label == "打开").click().run()
    assert app.query_params.get("id")


def test_a_supervisor_home_opens_the_ledger_narrowed_to_the_work(make_app, app_db, signed_in):
    seed(app_db)
    supervisor = role_account(app_db, "supervisor")
    app = home(make_app, signed_in, who=supervisor).run()
    assert not app.exception
    lines = [text.value for text in app.text]
    assert "待验收的整改：0项" in lines and "逾期未整改：1项（其中超过7天0项）" in lines
    assert "计划内漏查：今天0处，本周0处" in lines
    next(b for b in app.button if b.key == "open-overdue").click().run()
    assert not app.exception
    assert app.title[0].value == "整改台账"


def test_an_inspector_home_lists_tasks_drafts_and_fixes_to_verify(make_app, app_db, signed_in):
    inspector = role_account(app_db, "inspector")
    app = home(make_app, signed_in, who=inspector).run()
    assert not app.exception
    assert [s.value for s in app.subheader][:3] == [
        "今日任务（待办0项，已完成0项）",
        "未完成的检查（0）",
        "待你验收的整改（0）",
    ]
    assert "今天没有排给你的督查任务。" in [i.value for i in app.info]
    assert len(app.metric) == 0  # a work list, not the office's counts


def test_an_admin_home_names_backups_and_checklist_problems(make_app, app_db, signed_in):
    admin = role_account(app_db, "admin")
    app = home(make_app, signed_in, who=admin).run()
    assert not app.exception
    lines = [text.value for text in app.text]
    assert "检查表文件问题：0个" in lines
    assert [w.value for w in app.warning] == ["数据库还没有做过备份。请到“系统管理 → 数据备份”处理。"]
