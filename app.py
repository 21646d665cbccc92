"""Entry point: page settings, language, sign-in, and navigation over the pages in audit/ui."""

from pathlib import Path

import streamlit as st

from audit.errors import AuditError
from audit.services.permissions import Permission, can
from audit.ui.connection import connection_watch
from audit.ui.errors import show_error
from audit.ui.session import check_settings, cookie_exchange, keep_session, sso_sign_in, t, top_bar

UI = Path(__file__).parent / "audit" / "ui"

# (page file, title key, icon, url path, permission needed; None = every signed-in user), in menu order.
# Pages in SUPERVISION sit under one menu along the top, so a portrait tablet shows every page without overflow.
PAGES = [
    ("home.py", "home.nav", ":material/home:", "home", None),
    ("inspect.py", "inspect.nav", ":material/fact_check:", "inspect", Permission.RUN_INSPECTION),
    ("my_inspections.py", "inspect.my.nav", ":material/assignment:", "my-inspections", Permission.RUN_INSPECTION),
    ("ledger.py", "ledger.nav", ":material/table_rows:", "ledger", Permission.VIEW_LEDGER),
    ("finding.py", "ledger.finding.nav", ":material/assignment:", "finding", Permission.VIEW_LEDGER),
    ("dashboard.py", "dashboard.nav", ":material/monitoring:", "dashboard", Permission.VIEW_DASHBOARD),
    ("plans.py", "plan.nav", ":material/event_note:", "plans", Permission.MANAGE_PLANS),
    ("rechecks.py", "recheck.nav", ":material/replay:", "rechecks", Permission.START_RECHECKS),
    ("bulletins.py", "bulletin.nav", ":material/campaign:", "bulletins", Permission.VIEW_BULLETINS),
    ("accountability.py", "accountability.nav", ":material/gavel:", "accountability", Permission.VIEW_MEASURES),
    ("admin.py", "admin.nav", ":material/admin_panel_settings:", "admin", Permission.MANAGE_ACCOUNTS),
]
# Reached by a link (a finding from the ledger), not listed in the navigation.
HIDDEN = {"finding"}
SUPERVISION = {"dashboard", "plans", "rechecks", "bulletins", "accountability"}
# A unit reaches the inspect page only from its home's self-inspection task (自查), so it is not listed.
ALSO = {"inspect": Permission.SELF_INSPECT}


def run(navigation) -> None:
    """A refusal or a storage fault that no page caught is said in the page's language, not as a trace."""
    try:
        navigation.run()
    except AuditError as error:
        show_error(error)


st.set_page_config(page_title="督查整改台账 · Inspection ledger", page_icon=str(UI / "icon.svg"), layout="wide")
st.html((UI / "style.css").read_text(encoding="utf-8").join(["<style>", "</style>"]))
check_settings()

# The gate: until someone is signed in, the login page is the only page there is.
try:
    user = keep_session() or sso_sign_in()
except AuditError as error:
    show_error(error)
    st.stop()
top_bar(user)
cookie_exchange()
if user is None:
    # Every address shows the sign-in form, so a link to /finding?id=... still leads there once signed in.
    login = [
        st.Page(UI / "login.py", title=t("accounts.login.nav"), url_path=url, default=url == "home")
        for url in dict.fromkeys(entry[3] for entry in PAGES)
    ]
    run(st.navigation(login, position="hidden"))
    st.stop()

connection_watch()

# Along the top: a portrait tablet keeps its whole width for the page.
sections: dict[str, list] = {"": [], t("nav.supervision"): []}
for page, title, icon, url, permission in PAGES:
    listed = permission is None or can(user, permission)
    if listed or (url in ALSO and can(user, ALSO[url])):
        sections[t("nav.supervision") if url in SUPERVISION else ""].append(
            st.Page(
                UI / page,
                title=t(title),
                icon=icon,
                url_path=url,
                default=url == "home",
                visibility="hidden" if url in HIDDEN or not listed else "visible",
            )
        )
run(st.navigation({name: pages for name, pages in sections.items() if pages}, position="top"))
