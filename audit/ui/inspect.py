"""Inspect: start an inspection, walk its checklist, record findings, submit.

The inspection being walked is in the URL (?inspection=<id>), so a reload or a tablet
waking from sleep comes back to it, with every answer already saved.
"""

import streamlit as st

from audit.errors import AuditError
from audit.services.inspections import inspection_sheet, message
from audit.ui.inspect_review import submitted
from audit.ui.inspect_start import start_form
from audit.ui.inspect_walk import header, walk
from audit.ui.session import current_user, database, language, t
from audit.ui.text import plain

user = current_user()
if user is None:
    st.warning(t("inspect.sign_in"), icon=":material/login:")
    st.stop()

inspection_id = st.query_params.get("inspection")
if not inspection_id:
    start_form()
    st.stop()

try:
    sheet = inspection_sheet(database(), user, inspection_id)
except AuditError as error:
    st.error(plain(message(error, language())), icon=":material/error:")
    if st.button(t("inspect.start.new"), icon=":material/add:"):
        st.query_params.clear()
        st.rerun()
    st.stop()

if sheet.inspection.is_draft:
    walk(sheet)
else:
    header(sheet)
    submitted(sheet)
