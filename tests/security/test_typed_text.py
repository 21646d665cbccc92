"""Text that people, units or imports supplied is shown exactly as typed on every page: it never turns
into a link, an image that the viewer's browser fetches, HTML, or formatting.

Each test fills the fields a page shows with such text and reads every string the page renders as
Markdown (texts, captions, titles, alerts, labels, options): none may render a link, image or HTML,
and the typed text must be on the page, character for character.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from audit.model import Result, Role, Severity, Status, User, new_id
from audit.services import accountability, rectification
from audit.services import inspections as service
from audit.services.checklists import checklists_directory, sync_checklists
from audit.store import open_database
from audit.store.findings import insert_finding
from audit.ui.text import plain
from tests.factories import add_ledger_site as add_site
from tests.factories import add_user, make_finding
from tests.markdown import assert_page_shows_as_typed, assert_shown_as_typed, rendered_text, seen
from tests.test_accountability import PDF

HOSTILE = [
    "[x](http://evil.example)",
    "![x](http://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "**bold**",
    "http://evil.example",
    "www.evil.example",
    "mail@evil.example",
    "`code` _i_ ~~s~~ # h | t | $x$ :red[r] &amp; \\*",
    ":smile: :material/home: 12:30:45",
]
LINE_STARTS = [
    "- item",
    "+ item",
    "1. item",
    "2) item",
    "=== heading",
    "--- rule",
    ":::note",
    "> quote",
    "| a | b |",
    "# heading",
]
TYPED = " ".join(HOSTILE[:5])  # one line of every kind, short enough for each field's limit
NAME = "![x](http://evil.example/n.png)"
UNIT_NAME = "[单位](http://evil.example/u)"
NUMBER = "![2026](http://evil.example/no.png)"
DOCUMENT = "![决定书](x.png) **b** www.evil.example.pdf"  # a file name keeps no slash


@pytest.mark.parametrize(
    "typed",
    [
        *HOSTILE,
        *LINE_STARTS,
        "title\n===",
        "title\n---",
        "第一行\n[第二行](http://evil.example)",
        "\\[x\\](http://evil.example)",
        "HQ-GM-01 wang.qiang 16:45 a=b 3.5",
    ],
)
def test_plain_leaves_nothing_for_markdown_to_act_on(typed):
    assert_shown_as_typed(plain(typed), typed)
    assert seen(rendered_text(plain(typed))) == typed


def test_plain_leaves_ordinary_words_alone():
    assert plain("HQ-GM-01 wang.qiang 16:45 a=b 3.5 “引号” 50%") == "HQ-GM-01 wang.qiang 16:45 a=b 3.5 “引号” 50%"


def people(cursor) -> dict[str, User]:
    made = {
        "supervisor": User(new_id(), "sup", NAME, Role.SUPERVISOR),
        "unit": User(new_id(), "unit", NAME, Role.UNIT, unit=UNIT_NAME),
        "inspector": User(new_id(), "insp", NAME, Role.INSPECTOR),
    }
    for user in made.values():
        add_user(cursor, user)
    return made


@pytest.fixture
def hostile(app_db) -> dict:
    """A site, a finding with a reported fix and an imported-looking number, all full of active text."""
    database = open_database(app_db)
    with database.write() as cursor:
        users = people(cursor)
        site = add_site(cursor, TYPED, unit=UNIT_NAME, subdistrict=NAME, community=NAME)
        finding = make_finding(
            NUMBER,
            site_id=site,
            description=TYPED,
            responsible_unit=UNIT_NAME,
            responsible_person=NAME,
            requirement=TYPED,
            immediate_measure=TYPED,
            deadline=date.today() + timedelta(days=3),
            found_at=datetime.now() - timedelta(days=1),
            inspector=NAME,
            status=Status.OPEN,
            severity=Severity.MAJOR,
        )
        insert_finding(cursor, finding)
    rectification.report_fix(database, users["unit"], finding.id, version=1, fix_report=TYPED)
    database.close()
    return {"site": site, "finding": finding.id, **users}


def open_page(make_app, user: User, page: str | None = None, **query):
    app = make_app("en")
    app.session_state["user"] = user
    app.run()
    if page:
        app.query_params.update(query)
        app.switch_page(page).run()
    return app


@pytest.mark.parametrize("who", ["supervisor", "unit"])
def test_the_finding_page_and_its_title(make_app, hostile, who):
    app = open_page(make_app, hostile[who], "audit/ui/finding.py", id=hostile["finding"])
    assert_page_shows_as_typed(app, TYPED)
    assert_page_shows_as_typed(app, NUMBER)  # the title is built from the number
    assert NUMBER in seen(rendered_text(app.title[0].value))


@pytest.mark.parametrize("who", ["supervisor", "unit"])
def test_the_top_bar_on_the_home_page(make_app, hostile, who):
    app = open_page(make_app, hostile[who])
    assert_page_shows_as_typed(app, NAME)
    if who == "unit":
        assert_page_shows_as_typed(app, UNIT_NAME)


@pytest.mark.parametrize("who", ["supervisor", "unit"])
def test_the_ledger(make_app, hostile, who):
    app = open_page(make_app, hostile[who], "audit/ui/ledger.py")
    assert_page_shows_as_typed(app, TYPED)
    if who == "unit":
        assert_page_shows_as_typed(app, UNIT_NAME)  # "your unit's findings only" names the unit


def test_the_dashboard_with_its_filters_and_drill_down(make_app, hostile):
    app = open_page(make_app, hostile["supervisor"], "audit/ui/dashboard.py")
    app.selectbox(key="dashboard.site").set_value(hostile["site"]).run()
    assert_page_shows_as_typed(app, TYPED)
    assert_page_shows_as_typed(app, UNIT_NAME)


@pytest.fixture
def inspection(app_db, hostile) -> dict:
    """A draft of the inspector's at the hostile site: a failed item with its form, an ad-hoc finding."""
    database = open_database(app_db)
    sync_checklists(database, checklists_directory())
    inspector = hostile["inspector"]
    with database.write() as cursor:
        cursor.execute("UPDATE sites SET kind = 'isolation_point' WHERE id = ?", [hostile["site"]])
    draft = service.start_inspection(
        database,
        inspector,
        site_id=hostile["site"],
        checklist_id="quarantine_transfer",
        inspectors=[NAME, "[李](http://evil.example)"],
        started_at=datetime.now() - timedelta(minutes=5),
    )
    sheet = service.inspection_sheet(database, inspector, draft.id)
    first = sheet.checklist.items[0]
    service.record_response(database, inspector, draft.id, first.id, result=Result.FAIL)
    form = service.inspection_sheet(database, inspector, draft.id).draft_for(first.id)
    service.save_finding_draft(
        database, inspector, form.id, description=TYPED, responsible_unit=UNIT_NAME, responsible_person=NAME
    )
    adhoc = service.add_adhoc_finding(database, inspector, draft.id)
    service.save_finding_draft(database, inspector, adhoc.id, description=TYPED)
    database.close()
    return {"id": draft.id, "section": sheet.checklist.sections[0].id, "inspector": inspector}


def test_the_inspection_walk_and_review(make_app, inspection):
    app = open_page(make_app, inspection["inspector"], "audit/ui/inspect.py", inspection=inspection["id"])
    assert_page_shows_as_typed(app, NAME)  # the team, under the site's name
    app.button_group(key=f"inspect:{inspection['id']}:step").set_value(inspection["section"]).run()
    assert_page_shows_as_typed(app, TYPED)  # the site's name as the title
    for step in ("_adhoc", "_review"):
        app.button_group(key=f"inspect:{inspection['id']}:step").set_value(step).run()
        assert_page_shows_as_typed(app, TYPED)
    assert_page_shows_as_typed(app, UNIT_NAME)


def test_my_inspections(make_app, inspection):
    app = open_page(make_app, inspection["inspector"], "audit/ui/my_inspections.py")
    assert_page_shows_as_typed(app, TYPED)


@pytest.fixture
def admin(app_db) -> User:
    database = open_database(app_db)
    with database.write() as cursor:
        boss = User(new_id(), "boss", NAME, Role.ADMIN)
        add_user(cursor, boss)
        add_user(cursor, User(new_id(), "li.na", TYPED, Role.UNIT, unit=UNIT_NAME))
        add_site(cursor, TYPED, unit=UNIT_NAME)
    database.close()
    return boss


def test_the_admin_accounts_and_sites(make_app, admin):
    app = open_page(make_app, admin, "audit/ui/admin.py")
    assert_page_shows_as_typed(app, TYPED)
    assert_page_shows_as_typed(app, UNIT_NAME)
    app.selectbox(key="edit.username").set_value("li.na").run()
    assert_page_shows_as_typed(app, UNIT_NAME)
    # What an admin typed comes back in the outcome of the action, refused or done.
    app.text_input(key="new.username").input(NAME)
    app.text_input(key="new.display_name").input(TYPED)
    next(button for button in app.button if button.key is None and "Create" in button.label).click().run()
    assert app.error or app.success
    assert_page_shows_as_typed(app, TYPED)


def test_the_accountability_page(make_app, app_db, hostile):
    database = open_database(app_db)
    accountability.record_measure(
        database,
        hostile["supervisor"],
        kind="reminder_talk",
        unit=UNIT_NAME,
        person=NAME,
        decided_on=date.today(),
        decided_by=TYPED,
        basis=TYPED,
        finding_ids=[hostile["finding"]],
        documents=[(DOCUMENT, PDF)],
        today=date.today(),
        now=datetime.now(),
    )
    database.close()
    app = open_page(make_app, hostile["supervisor"], "audit/ui/accountability.py")
    assert_page_shows_as_typed(app, TYPED)
    assert_page_shows_as_typed(app, DOCUMENT)  # the label of the document's download button
