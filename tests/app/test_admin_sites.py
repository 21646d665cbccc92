"""The sites tab: find, add, correct and deactivate sites through the service, logged."""

from __future__ import annotations

import pytest

from audit.errors import InvalidInput, PermissionDenied
from audit.model import Role, User
from audit.services.administration import find_sites, save_site, set_site_active
from audit.store import audit_log
from tests.app.screen import error_text
from tests.factories import store_accounts

ADMIN = User(id="a", username="boss", display_name="管理员", role=Role.ADMIN)
SITE = {
    "code": "HQ-GM-01",
    "name_zh": "光明社区集中隔离点",
    "name_en": "Guangming isolation point",
    "kind": "isolation_point",
    "district_zh": "崇川区",
    "district_en": "Chongchuan",
    "subdistrict_zh": "虹桥街道",
    "subdistrict_en": "Hongqiao",
    "community_zh": "光明社区",
    "community_en": "Guangming",
    "unit_zh": "光明社区居委会",
    "unit_en": "Guangming residents' committee",
}


@pytest.fixture
def db(db):
    store_accounts(db, ADMIN)  # the services read the acting account from the database
    return db


def admin_app(make_app, signed_in, language=None, admin=None):
    app = make_app(language)
    if admin is None:
        signed_in(app, "admin", username="boss", display_name="管理员")
    else:
        signed_in(app, admin)
    app.run()
    return app.switch_page("audit/ui/admin.py").run()


def rows_of(app, column) -> list[dict]:
    """The rows of the table that has this column, wherever the tabs put it."""
    frame = next(f.value for f in app.dataframe if column in f.value.columns)
    return frame.to_dict("records")


def button(app, label):
    return next(b for b in app.button if b.label == label)


def test_saving_a_site_is_logged_and_keeps_its_id_when_corrected(db):
    first = save_site(db, ADMIN, SITE)
    corrected = save_site(db, ADMIN, {**SITE, "name_zh": "光明社区第一集中隔离点"})
    assert corrected.id == first.id and corrected.name.zh == "光明社区第一集中隔离点"
    with db.read() as cursor:
        entries = audit_log.history(cursor, "site", first.id)
    assert [e["action"] for e in entries] == ["site.saved", "site.saved"]
    assert entries[1]["before"]["name"]["zh"] == "光明社区集中隔离点"
    assert entries[1]["after"]["name"]["zh"] == "光明社区第一集中隔离点"


def test_a_missing_field_is_named(db):
    with pytest.raises(InvalidInput, match="name_en: must not be empty") as caught:
        save_site(db, ADMIN, {**SITE, "name_en": " "})
    assert caught.value.field == "name_en"


def test_a_deactivated_site_stays_listed(db):
    site = save_site(db, ADMIN, SITE)
    assert set_site_active(db, ADMIN, site.id, False).active is False
    assert [s.active for s in find_sites(db, ADMIN, "光明")] == [False]


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.SUPERVISOR, Role.UNIT])
def test_only_an_admin_manages_sites(db, role):
    actor = User(id="x", username="x", display_name="x", role=role, unit="光明社区居委会")
    store_accounts(db, actor)  # a real account of that role, so the role is what is refused
    for call in (
        lambda: find_sites(db, actor),
        lambda: save_site(db, actor, SITE),
        lambda: set_site_active(db, actor, "any", False),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_adding_and_deactivating_a_site_on_the_page(make_app, signed_in):
    app = admin_app(make_app, signed_in, "en")
    assert "No site matches." in [i.value for i in app.info]
    for field, value in SITE.items():
        if field == "kind":
            app.selectbox(key="site.__new__.kind").select(value)
        else:
            app.text_input(key=f"site.__new__.{field}").input(value)
    button(app, "Save site").click().run()
    assert not app.exception
    assert "Site HQ-GM-01 saved." in [s.value for s in app.success]
    assert rows_of(app, "Site name") == [
        {
            "Code": "HQ-GM-01",
            "Site name": "Guangming isolation point",
            "Kind": "Isolation point",
            "Community": "Guangming",
            "Responsible unit": "Guangming residents' committee",
            "State": "Active",
        }
    ]
    assert app.selectbox(key="site.pick").options == ["(new site)", "HQ-GM-01 · Guangming isolation point"]
    site_id = find_sites(signed_in.database, app.session_state["user"])[0].id
    app.selectbox(key="site.pick").set_value(site_id).run()
    assert app.text_input(key=f"site.{site_id}.code").disabled  # a code never changes
    button(app, "Deactivate this site").click().run()
    assert "Site HQ-GM-01 deactivated; its past findings are kept." in [s.value for s in app.success]
    assert rows_of(app, "Site name")[0]["State"] == "Deactivated"


def test_a_site_form_with_a_gap_says_which_field(make_app, signed_in):
    app = admin_app(make_app, signed_in, "en")
    app.text_input(key="site.__new__.code").input("X1")
    button(app, "Save site").click().run()
    assert [error_text(e) for e in app.error] == ["name_zh: must not be empty"]


def test_searching_sites(make_app, signed_in):
    admin = signed_in.account("admin", username="boss")
    save_site(signed_in.database, admin, SITE)
    save_site(
        signed_in.database,
        admin,
        {
            **SITE,
            "code": "CD-XQ-02",
            "name_zh": "新桥北村卡口",
            "name_en": "Xinqiaobeicun checkpoint",
            "kind": "checkpoint",
        },
    )
    app = admin_app(make_app, signed_in, admin=admin)
    assert "共 2 个站点（含已停用）。" in [c.value for c in app.caption]
    app.text_input(key="site.search").input("卡口").run()
    assert [r["编号"] for r in rows_of(app, "站点名称")] == ["CD-XQ-02"]
