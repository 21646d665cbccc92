"""Entry point: page settings, language, sign-in, and navigation over the pages in audit/ui."""

from pathlib import Path

import streamlit as st

from audit.services.permissions import Permission, can
from audit.ui.session import current_user, language_switch, t

UI = Path(__file__).parent / "audit" / "ui"

# (section, page file, title key, icon, url path, permission needed; None = every signed-in user)
PAGES = [
    ("nav.section.work", "home.py", "home.nav", ":material/home:", "home", None),
    ("nav.section.work", "dashboard.py", "dashboard.nav", ":material/monitoring:", "dashboard", Permission.VIEW_DASHBOARD),
]

st.set_page_config(page_title="督查整改台账 · Inspection ledger", page_icon=":material/fact_check:", layout="wide")
st.html((UI / "style.css").read_text(encoding="utf-8").join(["<style>", "</style>"]))
language_switch()

user = current_user()
sections: dict[str, list] = {}
for section, page, title, icon, url, permission in PAGES:
    if permission is None or can(user, permission):
        sections.setdefault(t(section), []).append(
            st.Page(UI / page, title=t(title), icon=icon, url_path=url, default=url == "home")
        )
st.navigation(sections).run()
