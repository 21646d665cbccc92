"""Every control on the inspector's and the unit's pages is at least 44 x 44 px at both tablet sizes.

Each interactive element is measured where a finger lands on it: a native radio or checkbox is
drawn small inside its label, which takes the tap; the segments of a date field are one field.
The only exemptions are named in EXEMPT, each with its reason.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from audit.services.sites import import_sites_csv
from audit.store import open_database
from tests.conftest import ROOT
from tests.e2e.conftest import account, sign_in, wait_for_app
from tests.e2e.test_inspect_browser import answer, count_messages, go, item, start
from tests.factories import GUANGMING, seed_ledger

pytestmark = pytest.mark.e2e

MINIMUM = 44
# test id of the element -> why it may be smaller
EXEMPT = {"stSkipToContent": "the skip link is for keyboards: it appears only when focused"}
SMALL_TARGETS = """minimum => {
    const interactive = 'button, a[href], input, select, textarea, summary, [role=button], [role=tab], '
        + '[role=checkbox], [role=radio], [role=switch], [role=combobox], [role=spinbutton], [role=slider]';
    const target = element => {
        if (element.matches('input[type=radio], input[type=checkbox]')) return element.closest('label') || element;
        if (element.closest('[data-testid=stDateInputField]')) return element.closest('[data-testid=stDateInputField]');
        return element;
    };
    const small = [];
    for (const element of document.querySelectorAll(interactive)) {
        const style = getComputedStyle(element);
        if (style.display === 'none' || style.visibility === 'hidden' || element.closest('[aria-hidden=true]')) continue;
        const box = target(element).getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;  // not rendered (a closed popover)
        if (box.width >= minimum - 0.5 && box.height >= minimum - 0.5) continue;
        const owner = element.closest('[data-testid]');
        small.push({testid: owner ? owner.dataset.testid : '', tag: element.tagName,
                    name: (element.getAttribute('aria-label') || element.innerText || '').trim().slice(0, 40),
                    size: `${Math.round(box.width)}x${Math.round(box.height)}`});
    }
    return small;
}"""


def open_every_expander(page) -> None:
    for summary in page.locator("[data-testid=stExpander] details:not([open]) summary").all():
        summary.click()
    wait_for_app(page)


def small_targets(page, where: str) -> list[str]:
    open_every_expander(page)
    found = page.evaluate(SMALL_TARGETS, MINIMUM)
    return [f"{where}: {t['testid']} {t['tag']} '{t['name']}' {t['size']}" for t in found if t["testid"] not in EXEMPT]


def visit(page, url_path: str) -> None:
    page.locator(f"a[data-testid=stTopNavLink][href$='/{url_path}']").first.click()
    page.wait_for_url(re.compile(f"/{url_path}"), wait_until="commit")
    wait_for_app(page)


def open_first_finding(page) -> None:
    table = page.get_by_test_id("stDataFrame").first
    table.wait_for()
    for _ in range(5):  # the grid takes taps once it has drawn its rows, a moment after it appears
        table.scroll_into_view_if_needed()  # the opened filters push it below the fold
        box = table.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + MINIMUM + MINIMUM / 2)
        try:
            page.wait_for_url(re.compile(r"/finding\?id="), wait_until="commit", timeout=6_000)
            break
        except PlaywrightTimeout:
            continue
    page.get_by_role("heading", name=re.compile("^问题 ")).wait_for(timeout=60_000)
    wait_for_app(page)


@pytest.fixture
def ledger_db(tmp_path):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    seed_ledger(database)
    database.close()
    return db_path


def test_the_inspectors_pages_have_44_px_targets(ledger_db, start_server, tablet):
    credentials = account(ledger_db, "inspector")
    server = start_server(ledger_db)
    count_messages(tablet)
    sign_in(tablet, server.url, *credentials)
    problems = small_targets(tablet, "home")
    visit(tablet, "ledger")
    problems += small_targets(tablet, "ledger")
    open_first_finding(tablet)
    problems += small_targets(tablet, "finding")
    visit(tablet, "my-inspections")
    problems += small_targets(tablet, "my inspections")
    visit(tablet, "inspect")
    problems += small_targets(tablet, "inspect: start")
    start(tablet, "规范转运")
    go(tablet)
    answer(tablet, "QT-01", "✗ 不合格")
    item(tablet, "QT-01").get_by_label("问题描述").wait_for()
    problems += small_targets(tablet, "inspect: a finding form")
    assert not problems, "\n".join(problems)


def test_the_units_pages_have_44_px_targets(ledger_db, start_server, tablet):
    credentials = account(ledger_db, "unit", unit=GUANGMING)
    server = start_server(ledger_db)
    sign_in(tablet, server.url, *credentials)
    problems = small_targets(tablet, "home")
    visit(tablet, "ledger")
    problems += small_targets(tablet, "ledger")
    open_first_finding(tablet)
    problems += small_targets(tablet, "finding")
    assert not problems, "\n".join(problems)
