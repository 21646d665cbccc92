"""Home: the counts that tell a team where it stands today."""

import streamlit as st

from audit.services.backup_schedule import backup_warning, last_backup
from audit.services.overview import home_figures
from audit.services.permissions import Permission, can, unit_scope
from audit.ui.session import current_user, database, t
from audit.ui.tasks import todays_tasks

st.title(t("home.title"))
st.caption(t("home.subtitle"))
todays_tasks()

if can(current_user(), Permission.BACKUP):
    warning = backup_warning(last_backup(database(), current_user()))
    if warning:
        st.warning(t(f"home.backup.{warning}"), icon=":material/warning:")

figures = home_figures(database(), unit=unit_scope(current_user()))  # a unit sees only its own
if figures.inspections == 0 and figures.findings == 0:
    st.info(t("home.empty"))
else:
    first, second = st.columns(2)
    third, fourth = st.columns(2)
    first.metric(t("home.inspections"), f"{figures.inspections:,}", border=True)
    second.metric(t("home.findings"), f"{figures.findings:,}", border=True)
    third.metric(t("home.open"), f"{figures.open:,}", border=True)
    fourth.metric(t("home.overdue"), f"{figures.overdue:,}", border=True)
