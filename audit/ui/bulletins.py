"""督查通报: draft a bulletin for a period and scope, choose typical cases, edit, issue; read issued ones."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from audit.errors import AuditError
from audit.model import BulletinKind, BulletinStatus
from audit.services import bulletins as service
from audit.services.permissions import Permission, can
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, language, now, t

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DRAFT = "bulletin.draft"
NOTICE = "bulletin.notice"
state = st.session_state
user = current_user()
lang = language()


def period_for(kind: BulletinKind, today: date) -> tuple[date, date]:
    """A daily bulletin reports yesterday, a weekly one the last seven days."""
    if kind is BulletinKind.WEEKLY:
        return today - timedelta(days=7), today - timedelta(days=1)
    return today - timedelta(days=1), today - timedelta(days=1)


def downloads(bulletin, key: str) -> None:
    name = f"bulletin-{bulletin.year or 'draft'}-{bulletin.kind.value}-{bulletin.number or bulletin.id[:8]}"
    left, right = st.columns(2)
    left.download_button(
        t("bulletin.page.docx"),
        data=lambda: service.bulletin_file(database(), user, bulletin, "docx"),
        file_name=f"{name}.docx",
        mime=DOCX,
        icon=":material/description:",
        key=f"docx-{key}",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        t("bulletin.page.pdf"),
        data=lambda: service.bulletin_file(database(), user, bulletin, "pdf"),
        file_name=f"{name}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"pdf-{key}",
        width="stretch",
        on_click="ignore",
    )


def new_draft_form() -> None:
    today = now().date()
    with st.form("bulletin_new", border=True):
        st.subheader(t("bulletin.page.new"))
        kind = st.segmented_control(
            t("bulletin.page.kind"),
            list(BulletinKind),
            default=BulletinKind.DAILY,
            format_func=lambda k: t(f"bulletin.kind.{k.value}"),
            key="bulletin_kind",
        )
        start, end = period_for(kind or BulletinKind.DAILY, today)
        period = st.date_input(t("bulletin.page.period"), value=(start, end), max_value=today, format="YYYY-MM-DD")
        names = dict(service.scope_choices(database(), user, lang))
        scope = st.selectbox(
            t("bulletin.page.scope"),
            [None, *names],
            format_func=lambda v: t("bulletin.page.scope_all") if v is None else names[v],
        )
        if st.form_submit_button(
            t("bulletin.page.draft"), type="primary", icon=":material/edit_note:", width="stretch"
        ):
            period = tuple(period) if isinstance(period, (tuple, list)) else (period, period)
            try:
                state[DRAFT] = service.draft_bulletin(
                    database(),
                    user,
                    kind=kind or BulletinKind.DAILY,
                    period_from=period[0],
                    period_to=period[-1],
                    subdistrict=scope,
                    language=lang,
                    today=today,
                )
            except AuditError as error:
                show_error(error)


def figures(bulletin) -> None:
    f = bulletin.figures
    cells = st.columns(4)
    for cell, key, value in zip(
        cells,
        ("inspections", "findings", "closed", "overdue"),
        (f.inspections, f.findings, f.closed, f.overdue),
        strict=True,
    ):
        cell.metric(t(f"bulletin.page.figure.{key}"), value, border=True)


def editor(bulletin) -> None:
    st.subheader(service.label(bulletin))
    if bulletin.corrects_label:
        st.text(t("bulletin.doc.correction", label=bulletin.corrects_label))
    figures(bulletin)
    if bulletin.problems:
        st.dataframe(
            [
                {
                    t("bulletin.doc.table.checklist"): p.checklist,
                    t("bulletin.doc.table.section"): p.section,
                    t("bulletin.doc.table.count"): p.count,
                }
                for p in bulletin.problems
            ],
            hide_index=True,
            width="stretch",
            row_height=44,
        )
    else:
        st.info(t("bulletin.doc.no_problems"), icon=":material/info:")
    if bulletin.overdue_units:
        st.dataframe(
            [{t("bulletin.page.unit"): u.unit, t("bulletin.page.overdue"): u.count} for u in bulletin.overdue_units],
            hide_index=True,
            width="stretch",
            row_height=44,
        )
    choices = dict(service.case_choices(database(), user, bulletin))
    with st.form(f"bulletin_edit_{bulletin.id}", border=False):
        cases = st.multiselect(
            t("bulletin.page.cases"),
            list(choices),
            format_func=choices.get,
            default=[c.finding_id for c in bulletin.cases if c.finding_id in choices],
            help=t("bulletin.page.cases_help"),
            placeholder=t("bulletin.page.cases_none") if not choices else t("bulletin.page.cases_pick"),
        )
        summary = st.text_area(t("bulletin.page.summary"), bulletin.summary, height=140)
        requirements = st.text_area(t("bulletin.page.requirements"), bulletin.requirements, height=160)
        signature = st.text_input(t("bulletin.page.signature"), bulletin.signature)
        if st.form_submit_button(t("bulletin.page.save"), icon=":material/save:", width="stretch"):
            try:
                state[DRAFT] = service.save_draft(
                    database(),
                    user,
                    bulletin,
                    case_ids=cases,
                    summary=summary,
                    requirements=requirements,
                    signature=signature,
                    now=now(),
                )
                state[NOTICE] = t("bulletin.page.saved")
                st.rerun()
            except AuditError as error:
                show_error(error)
    downloads(bulletin, f"draft-{bulletin.id}-{bulletin.version}")
    saved = _is_saved(bulletin)
    confirm = st.checkbox(t("bulletin.page.confirm"), key=f"confirm-{bulletin.id}", disabled=not saved)
    if st.button(
        t("bulletin.page.issue"),
        type="primary",
        icon=":material/verified:",
        width="stretch",
        disabled=not (saved and confirm),
    ):
        try:
            issued = service.issue_bulletin(database(), user, bulletin.id, bulletin.version, now=now())
            state.pop(DRAFT, None)
            state[NOTICE] = t("bulletin.page.issued", label=service.label(issued))
            st.rerun()
        except AuditError as error:
            show_error(error)
    if not saved:
        st.caption(t("bulletin.page.save_first"))


def _is_saved(bulletin) -> bool:
    return any(b.id == bulletin.id for b in service.bulletins(database(), user, status=BulletinStatus.DRAFT))


def listing(status: BulletinStatus) -> None:
    shown = service.bulletins(database(), user, status=status)
    st.subheader(t(f"bulletin.page.list.{status.value}", count=len(shown)))
    if not shown:
        st.info(t(f"bulletin.page.list.{status.value}.empty"), icon=":material/inbox:")
    for bulletin in shown:
        with st.container(border=True, key=f"bulletin-{bulletin.id}"):
            st.text(service.label(bulletin))
            scope = bulletin.subdistrict or t("bulletin.page.scope_all")
            st.text(
                t(
                    "bulletin.page.line",
                    period=service.period_text(bulletin.period_from, bulletin.period_to, lang),
                    scope=scope,
                    by=bulletin.issued_by or bulletin.created_by,
                )
            )
            if bulletin.corrects_label:
                st.text(t("bulletin.doc.correction", label=bulletin.corrects_label))
            downloads(bulletin, bulletin.id)
            if can(user, Permission.DRAFT_BULLETIN):
                action = t("bulletin.page.resume") if status is BulletinStatus.DRAFT else t("bulletin.page.correct")
                if st.button(action, key=f"act-{bulletin.id}", icon=":material/edit:", width="stretch"):
                    state[DRAFT] = (
                        bulletin
                        if status is BulletinStatus.DRAFT
                        else service.start_correction(database(), user, bulletin.id, today=now().date())
                    )
                    st.rerun()


st.title(t("bulletin.page.title"))
if NOTICE in state:
    st.success(state.pop(NOTICE), icon=":material/check_circle:")
if can(user, Permission.DRAFT_BULLETIN):
    new_draft_form()
    if DRAFT in state:
        editor(state[DRAFT])
    listing(BulletinStatus.DRAFT)
listing(BulletinStatus.ISSUED)
