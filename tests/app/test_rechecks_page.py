"""回头看 in the app: a supervisor starts a campaign and reads its progress; an inspector records re-checks from home."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.model import CampaignFilter, Severity, Status
from audit.services import rechecks
from audit.services.accounts import add_user, generate_password
from audit.services.checklists import sync_checklists
from audit.services.sites import import_sites_csv
from audit.store import open_database
from audit.store.findings import insert_finding, raise_sequence
from audit.store.sites import list_sites
from tests.app.screen import error_text
from tests.conftest import ROOT
from tests.factories import make_finding

PAGE = "audit/ui/rechecks.py"
UNIT = "光明社区居委会"


@pytest.fixture
def office(app_db):
    """Three findings closed in the last days, one of them with a description in Markdown that must show as typed."""
    database = open_database(app_db)
    sync_checklists(database, ROOT / "checklists")
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    people = {
        role: add_user(
            database,
            None,
            username=f"t-{role}",
            role=role,
            password=generate_password(),
            unit=UNIT if role == "unit" else None,
        )
        for role in ("supervisor", "inspector", "unit")
    }
    with database.write() as cursor:
        site = next(s for s in list_sites(cursor) if s.code == "CC-ISO-001")
        for n, description in enumerate(("门口无人值守", "**体温**登记 [缺失](http://evil.example)", "消毒记录不全")):
            closed = datetime.now() - timedelta(days=n + 2)
            insert_finding(
                cursor,
                make_finding(
                    f"{closed.year}-{n + 1:04d}",
                    site_id=site.id,
                    responsible_unit=UNIT,
                    severity=Severity.MAJOR,
                    status=Status.CLOSED,
                    description=description,
                    found_at=closed - timedelta(days=3),
                    closed_at=closed,
                ),
            )
        raise_sequence(cursor, datetime.now().year, 3)
    database.close()
    return people


def signed_in(make_app, user, language=None):
    app = make_app(language)
    app.session_state["user"] = user
    return app.run()


def button(app, label: str):
    return next(b for b in app.button if b.label == label)


def test_a_supervisor_starts_a_campaign_and_sees_its_seed_and_progress(make_app, office):
    app = signed_in(make_app, office["supervisor"])
    app.switch_page(PAGE).run()
    assert not app.exception
    assert app.title[0].value == "回头看：已销号问题复查"
    assert "还没有回头看活动，可在下方发起。" in [i.value for i in app.info]
    next(t for t in app.text_input if t.label == "活动名称").input("隔离点回头看")
    next(t for t in app.text_input if t.label == "随机种子（可不填）").input("42")
    team = next(m for m in app.multiselect if m.label == "复查人员")
    assert team.placeholder == "选择一名或多名复查人员"  # not the widget's English default
    team.select("t-inspector")
    button(app, "发起活动").click().run()
    assert not app.exception
    # On a tablet held upright the outcome shows without scrolling the items' table sideways.
    assert list(app.dataframe[-1].value.columns[:3]) == ["问题编号", "站点", "复查结果"]
    assert "回头看活动“隔离点回头看”已发起：以随机种子 42 抽取 3 个问题。" in [s.value for s in app.success]
    assert [c.value for c in app.code] == ["42"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"已复查": "0 / 3", "反弹": "0", "反弹率": "—"}
    assert any("从 3 个中抽取 3 个" in text.value for text in app.text)
    assert [b.label for b in app.get("download_button")] == ["导出 CSV"]
    # A second campaign, drawn with another seed, is the one shown next.
    next(t for t in app.text_input if t.label == "活动名称").input("第二轮")
    next(t for t in app.text_input if t.label == "随机种子（可不填）").input("7")
    next(m for m in app.multiselect if m.label == "复查人员").select("t-inspector")
    button(app, "发起活动").click().run()
    assert not app.exception
    assert [c.value for c in app.code] == ["7"]


def test_a_bad_share_names_the_field_and_keeps_the_form(make_app, office, app_db):
    app = signed_in(make_app, office["supervisor"], language="en")
    app.switch_page(PAGE).run()
    app.button_group(key="recheck_mode").set_value("share").run()
    next(n for n in app.number_input if n.label == "Share (0 to 1)").set_value(1.5).run()
    next(t for t in app.text_input if t.label == "Campaign name").input("Spot check")
    next(m for m in app.multiselect if m.label == "Inspectors").select("t-inspector")
    button(app, "Start the campaign").click().run()
    assert not app.exception
    assert any(error_text(e).startswith("The share 1.5 is outside 0 to 1") for e in app.error)
    assert next(t for t in app.text_input if t.label == "Campaign name").value == "Spot check"
    database = open_database(app_db)
    assert rechecks.campaigns(database, office["supervisor"]) == []
    database.close()


def test_an_inspector_records_held_and_relapsed_from_home(make_app, office, app_db):
    database = open_database(app_db)
    campaign = rechecks.start_campaign(
        database,
        office["supervisor"],
        name="回头看",
        scope=CampaignFilter(date.today() - timedelta(days=30), date.today()),
        team=["t-inspector"],
        due=date.today() + timedelta(days=3),
        seed=1,
        now=datetime.now(),
    )
    database.close()
    app = signed_in(make_app, office["inspector"])
    assert not app.exception
    assert "待回头看（3）" in [s.value for s in app.subheader]
    # What people typed shows as typed, never as a link.
    assert "**体温**登记 [缺失](http://evil.example)" in [t.value for t in app.text]
    app.button(key=next(b.key for b in app.button if b.label == "巩固")).click().run()
    assert not app.exception
    assert any(s.value.endswith("的复查已记录：巩固。") for s in app.success)
    assert "待回头看（2）" in [s.value for s in app.subheader]
    area = app.text_area[0]
    area.input("门口又无人值守").run()
    app.button(key=next(b.key for b in app.button if b.label == "记录反弹并立为新问题")).click().run()
    assert not app.exception
    assert any("已立新问题" in s.value and "重复发生" in s.value for s in app.success)
    database = open_database(app_db)
    report = rechecks.campaign_report(database, office["supervisor"], campaign.id, language="zh-CN")
    database.close()
    assert (report.checked, report.relapsed) == (2, 1)


def test_units_see_no_campaigns(make_app, office):
    app = signed_in(make_app, office["unit"])
    assert not app.exception
    assert not [s for s in app.subheader if s.value.startswith("待回头看")]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)
