"""Re-checks due (回头看) on the home page: one tap records held; relapsed asks what was found, then opens a finding."""

from __future__ import annotations

import streamlit as st

from audit.errors import AuditError
from audit.model import CampaignItem, Severity
from audit.services import rechecks
from audit.services.permissions import Permission, can
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, language, now, t

NOTICE = "rechecks.home.notice"
SHOWN = 30  # a long campaign shows its first items; the rest follow as these are done


def _record(item: CampaignItem, outcome: str, **details) -> None:
    try:
        opened = rechecks.record_recheck(
            database(), current_user(), item.campaign_id, item.finding_id, outcome=outcome, now=now(), **details
        )
    except AuditError as error:
        show_error(error)
        return
    st.session_state[NOTICE] = (
        t("recheck.home.relapsed", old=item.number, new=opened.number)
        if opened
        else t("recheck.home.held", old=item.number)
    )
    st.rerun()


def _item(item: CampaignItem) -> None:
    key = f"{item.campaign_id}-{item.finding_id}"
    with st.container(border=True, key=f"recheck-{key}"):
        late = t("recheck.home.late", day=f"{item.due:%m-%d}") if item.due < now().date() else ""
        st.text(f"{item.site_name} · {item.number}{late}")
        st.text(item.description)
        held, relapsed = st.columns(2)
        if held.button(t("recheck.outcome.held"), key=f"held-{key}", icon=":material/verified:", width="stretch"):
            _record(item, "held")
        with relapsed.popover(t("recheck.outcome.relapsed"), icon=":material/undo:", width="stretch"):
            description = st.text_area(t("recheck.home.what"), key=f"what-{key}")
            severity = st.selectbox(
                t("recheck.column.severity"),
                [s.value for s in Severity],
                index=[s.value for s in Severity].index(item.severity),
                format_func=lambda s: t(f"inspect.severity.{s}"),
                key=f"severity-{key}",
            )
            if st.button(t("recheck.home.open_finding"), key=f"relapsed-{key}", type="primary", width="stretch"):
                _record(item, "relapsed", description=description, severity=severity)


def rechecks_due() -> None:
    user = current_user()
    if not can(user, Permission.RECORD_RECHECK):
        return
    if NOTICE in st.session_state:
        st.success(st.session_state.pop(NOTICE), icon=":material/check_circle:")
    items = rechecks.my_rechecks(database(), user, language=language())
    if not items:
        return
    st.subheader(t("recheck.home.title", count=len(items)))
    for item in items[:SHOWN]:
        _item(item)
