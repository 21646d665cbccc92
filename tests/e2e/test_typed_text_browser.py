"""In a real browser, a finding full of Markdown and HTML shows every character as typed: no link or image
leads outside the app, and the page asks no other host for anything."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from audit.model import Status
from audit.services.accounts import add_user, generate_password
from audit.services.rectification import report_fix
from audit.store import open_database
from audit.store.findings import insert_finding
from audit.ui.text import JOINER
from tests.e2e.conftest import sign_in
from tests.factories import add_ledger_site as add_site
from tests.factories import make_finding

TYPED = (
    "[x](http://evil.example/a) ![x](http://evil.example/p.png) <img src=http://evil.example/i.png> "
    "**bold** http://evil.example/b www.evil.example mail@evil.example :smile: :material/home:"
)
NUMBER = "![2026](http://evil.example/no.png)"
UNIT = "[单位](http://evil.example/u)"


def hostile_finding(db_path) -> tuple[str, str, str]:
    """A finding whose text fields, number, site and fix report are all active text; returns its id and a sign-in."""
    database = open_database(db_path)
    try:
        password = generate_password()
        add_user(
            database,
            None,
            username="e2e-sup",
            role="supervisor",
            password=password,
            display_name="![me](http://evil.example/me.png)",
        )
        unit = add_user(database, None, username="e2e-unit", role="unit", password=password, unit=UNIT)
        with database.write() as cursor:
            site = add_site(cursor, TYPED, unit=UNIT)
            finding = make_finding(
                NUMBER,
                site_id=site,
                description=TYPED,
                requirement=TYPED,
                responsible_unit=UNIT,
                responsible_person=TYPED,
                deadline=date.today() + timedelta(days=3),
                found_at=datetime.now() - timedelta(days=1),
                status=Status.OPEN,
            )
            insert_finding(cursor, finding)
        report_fix(database, unit, finding.id, version=1, fix_report=TYPED)
    finally:
        database.close()
    return finding.id, "e2e-sup", password


def test_a_finding_with_markdown_and_html_links_nowhere(tmp_path, start_server, browser):
    finding_id, username, password = hostile_finding(tmp_path / "audit.duckdb")
    server = start_server(tmp_path / "audit.duckdb")
    context = browser.new_context(viewport={"width": 1180, "height": 820}, locale="en-GB")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        # Signing in on the finding's address leads to it; a new page load would be a new session.
        sign_in(page, f"{server.url}/finding?id={finding_id}", username, password)
        page.get_by_text("![2026](http").first.wait_for(timeout=30_000)  # the title, built from the number
        shown = page.locator("[data-testid='stMain']").inner_text().replace(JOINER, "")
        for typed in (TYPED, NUMBER, UNIT, "![me](http://evil.example/me.png)"):
            assert typed in shown
        addresses = page.eval_on_selector_all(
            "a[href], img[src], [srcset]", "nodes => nodes.map(n => n.href || n.src || n.srcset)"
        )
        outside = [address for address in addresses if urlsplit(address).hostname not in (None, "127.0.0.1")]
        assert outside == []
        assert not [address for address in addresses if "evil.example" in address]
        assert [url for url in requested if urlsplit(url).hostname not in (None, "127.0.0.1")] == []
    finally:
        context.close()
