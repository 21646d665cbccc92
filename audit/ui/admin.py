"""Administration: accounts, sites, the state of every checklist, the audit log's check, and backups."""

from pathlib import Path

import streamlit as st

from audit.i18n import short
from audit.services.administration import check_audit_log, checklist_state
from audit.services.maintenance import last_maintenance
from audit.ui.admin_accounts import accounts_tab
from audit.ui.admin_sites import sites_tab
from audit.ui.backup_panel import render_backup_panel
from audit.ui.session import current_user, database, language, t
from audit.ui.text import plain

admin = current_user()
st.title(t("admin.title"))
accounts, sites, checklists, log, backups = st.tabs(
    [
        t("admin.tab.accounts"),
        t("admin.tab.sites"),
        t("admin.tab.checklists"),
        t("admin.tab.log"),
        t("admin.tab.backup"),
    ]
)

with accounts:
    accounts_tab(admin)

with sites:
    sites_tab(admin)

with checklists:
    state = checklist_state(database(), admin)
    lang = short(language())
    st.caption(t("admin.checklists.summary", loaded=len(state.checklists), failed=len(state.problems)))
    if state.checklists:
        st.dataframe(
            [
                {
                    t("admin.checklists.id"): c.id,
                    t("admin.checklists.version"): c.version,
                    t("admin.checklists.title"): getattr(c.title, lang),
                    t("admin.checklists.items"): len(c.items),
                    t("admin.checklists.file"): Path(state.sources.get(c.id, "")).name,
                    t("admin.checklists.hash"): c.content_hash[:12],
                }
                for c in state.checklists
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.info(t("admin.checklists.none"))
    for problem in state.problems:
        st.error(plain(problem), icon=":material/error:")

with log:
    st.caption(t("admin.log.intro"))
    if st.button(t("admin.log.check"), icon=":material/verified:", width="stretch"):
        result = check_audit_log(database(), admin)
        if result.ok:
            st.success(t("admin.log.ok", count=f"{result.checked:,}"), icon=":material/verified:")
            if result.checked:
                st.caption(t("admin.log.head", head=f"{result.checked}:{result.last_hash}"))
        if result.bad_seq is not None:
            reason = t(f"admin.log.reason.{result.code}")
            st.error(
                t("admin.log.bad", seq=result.bad_seq, reason=reason, count=f"{result.checked:,}"),
                icon=":material/gpp_bad:",
            )
        if result.rows:
            st.error(t("admin.log.rows_bad", count=len(result.rows)), icon=":material/gpp_bad:")
            st.dataframe(
                [
                    {
                        t("admin.log.rows.table"): problem.table or "audit_log",
                        t("admin.log.rows.row"): problem.row or "",
                        t("admin.log.rows.entry"): problem.seq,
                        t("admin.log.rows.problem"): t(f"admin.log.rows.reason.{problem.code}"),
                    }
                    for problem in result.rows
                ],
                hide_index=True,
            )

with backups:
    render_backup_panel()
    maintained = last_maintenance(database(), admin)
    if maintained is not None:  # a lake: when one of its servers last maintained it
        st.subheader(t("maintenance.title"))
        if maintained.at is None:
            st.caption(t("maintenance.never"))
        else:
            st.caption(t("maintenance.last", at=f"{maintained.at:%Y-%m-%d %H:%M}"))
            st.text(maintained.result or "")  # a step's error comes from DuckDB: shown as it is
        if maintained.held_by:
            st.caption(t("maintenance.running"))
