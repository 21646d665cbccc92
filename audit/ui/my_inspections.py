"""My inspections: drafts to resume, and submitted inspections with their findings."""

import streamlit as st

from audit import i18n
from audit.services.inspections import InspectionLine, my_inspections
from audit.ui.session import current_user, database, language, t
from audit.ui.text import plain

INSPECT_PAGE = "audit/ui/inspect.py"
user = current_user()
if user is None:
    st.warning(t("inspect.sign_in"), icon=":material/login:")
    st.stop()

lang = i18n.short(language())
mine = my_inspections(database(), user)


def title(line: InspectionLine) -> str:
    site = line.site_zh if lang == "zh" else line.site_en
    checklist = line.title_zh if lang == "zh" else line.title_en
    return f"**{plain(site or line.site_id)}** · {plain(checklist or line.checklist_id)}"


st.title(t("inspect.my.title"))
if st.button(t("inspect.start.new"), type="primary", icon=":material/add:", width="stretch"):
    st.switch_page(INSPECT_PAGE)

st.subheader(t("inspect.my.drafts", count=len(mine.drafts)))
if not mine.drafts:
    st.info(t("inspect.my.no_drafts"))
for line in mine.drafts:
    with st.container(border=True, key=f"draft-{line.id}"):
        st.markdown(title(line))
        st.caption(t("inspect.my.draft_line", started=f"{line.started_at:%Y-%m-%d %H:%M}", answered=line.answered))
        if st.button(t("inspect.my.resume"), key=f"resume-{line.id}", icon=":material/play_arrow:", width="stretch"):
            st.switch_page(INSPECT_PAGE, query_params={"inspection": line.id})

st.subheader(t("inspect.my.submitted", count=len(mine.submitted)))
if not mine.submitted:
    st.info(t("inspect.my.no_submitted"))
for line in mine.submitted:
    findings = mine.findings.get(line.id, [])
    with st.container(border=True, key=f"submitted-{line.id}"):
        st.markdown(title(line))
        score = "—" if line.score is None else f"{line.score:.0%}"
        st.caption(
            t(
                "inspect.my.submitted_line",
                started=f"{line.started_at:%Y-%m-%d %H:%M}",
                score=score,
                count=len(findings),
            )
        )
        for finding in findings:
            st.markdown(
                f"- [{plain(finding.number)}](/finding?id={finding.id}) · "
                f"{t(f'inspect.status.{finding.status.value}')} · {plain(finding.description[:80])}"
            )
        if st.button(t("inspect.my.open"), key=f"open-{line.id}", icon=":material/visibility:"):
            st.switch_page(INSPECT_PAGE, query_params={"inspection": line.id})
