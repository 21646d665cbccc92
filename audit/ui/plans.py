"""督查计划: coverage of the plans, the plans with what stops them, and a form for a new plan."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from audit.errors import AuditError
from audit.model import WEEKDAYS, SiteKind
from audit.services import plans as service
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, language, now, t
from audit.ui.text import plain

NOTICE = "plans.notice"
state = st.session_state
user = current_user()
lang = language()
today = now().date()


def coverage_section() -> None:
    st.subheader(t("plan.coverage.title"))
    monday = today - timedelta(days=today.weekday())
    period = st.date_input(t("plan.coverage.period"), value=(monday, today), format="YYYY-MM-DD", key="coverage_period")
    chosen = list(period) if isinstance(period, (tuple, list)) else [period]
    start, end = (chosen[0], chosen[-1]) if chosen else (today, today)
    by = (
        st.segmented_control(
            t("plan.coverage.by"),
            ["subdistrict", "site_kind", "team", "checklist"],
            default="subdistrict",
            format_func=lambda g: t(f"plan.coverage.group.{g}"),
            key="coverage_by",
        )
        or "subdistrict"
    )
    try:
        rows = service.coverage(database(), user, start=start, end=end, by=by, today=today, now=now(), language=lang)
        sites = service.coverage(
            database(), user, start=start, end=end, by="site", today=today, now=now(), language=lang
        )
    except AuditError as error:
        show_error(error)
        return
    due, done = sum(r.due for r in rows), sum(r.done for r in rows)
    cells = st.columns(4)
    cells[0].metric(t("plan.coverage.due"), f"{due:,}", border=True)
    cells[1].metric(t("plan.coverage.done"), f"{done:,}", border=True)
    cells[2].metric(t("plan.coverage.missed"), f"{due - done:,}", border=True)
    cells[3].metric(t("plan.coverage.rate"), f"{done / due:.0%}" if due else "—", border=True)
    if not rows:
        st.info(t("plan.coverage.empty"), icon=":material/event_busy:")
        return
    self_missed = service.self_reports_missed(database(), user, start=start, end=end, today=today, now=now())
    if self_missed:
        st.warning(t("plan.coverage.self_missed", count=self_missed), icon=":material/assignment_late:")
    label = (
        (lambda g: t(f"inspect.kind.{g}"))
        if by == "site_kind"
        else (lambda g: t("plan.coverage.self") if g == "(self)" else g)
    )
    frame = pd.DataFrame(
        [
            {"group": label(r.group), "state": state_name, "tasks": count}
            for r in rows
            for state_name, count in ((t("plan.coverage.done"), r.done), (t("plan.coverage.missed"), r.missed))
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort="-x"),
            x=alt.X("tasks:Q", title=t("plan.coverage.tasks"), stack=True),
            color=alt.Color("state:N", title=None, scale=alt.Scale(range=["#2E7D32", "#C62828"])),
            tooltip=["group", "state", "tasks"],
        )
        .properties(height=max(120, 34 * len(rows)))
    )
    st.altair_chart(chart, width="stretch")
    missed = [r for r in sites if r.missed]
    st.markdown(f"**{t('plan.coverage.missed_sites', count=len(missed))}**")
    if missed:
        st.dataframe(
            [
                {t("plan.coverage.site"): r.group, t("plan.coverage.due"): r.due, t("plan.coverage.missed"): r.missed}
                for r in missed
            ],
            hide_index=True,
            width="stretch",
            row_height=44,
        )
    st.download_button(
        t("plan.coverage.csv"),
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
        data=lambda: service.coverage_bytes(database(), user, start=start, end=end, today=today, now=now()),
        file_name=f"coverage-{start}-{end}.csv",
        mime="text/csv",
    )


def plan_list() -> None:
    shown = service.plans(database(), user)
    st.subheader(t("plan.list.title", count=len(shown)))
    if not shown:
        st.info(t("plan.list.empty"), icon=":material/event_note:")
    for plan in shown:
        with st.container(border=True, key=f"plan-{plan.id}"):
            st.text(plan.name + ("" if plan.active else t("plan.list.stopped")))
            who = t("plan.list.self") if plan.self_inspection else ", ".join(plan.team)
            sites = ", ".join(
                filter(
                    None,
                    [
                        ", ".join(plan.site_codes),
                        t(f"inspect.kind.{plan.site_kind}") if plan.site_kind else "",
                        plan.subdistrict or "",
                    ],
                )
            )
            st.text(
                t(
                    "plan.list.line",
                    every=plan.recurrence.text,
                    start=str(plan.start),
                    end=str(plan.end),
                    who=who,
                    sites=sites,
                    checklists=", ".join(plan.checklist_ids),
                )
            )
            for warning in service.plan_warnings(database(), user, plan, lang):
                st.warning(plain(warning), icon=":material/warning:")  # it names plans and sites
            action = t("plan.list.stop") if plan.active else t("plan.list.resume")
            if st.button(action, key=f"toggle-{plan.id}", width="stretch"):
                try:
                    service.set_plan_active(database(), user, plan, not plan.active, now=now())
                    st.rerun()
                except AuditError as error:
                    show_error(error)


def every_input() -> str:
    kind = (
        st.segmented_control(
            t("plan.form.every"),
            ["daily", "weekdays", "days", "monthly"],
            default="daily",
            format_func=lambda k: t(f"plan.every.{k}"),
            key="plan_every",
        )
        or "daily"
    )
    if kind == "weekdays":
        days = st.pills(
            t("plan.form.weekdays"),
            list(WEEKDAYS),
            selection_mode="multi",
            default=["MON"],
            format_func=lambda d: t(f"plan.weekday.{d}"),
            key="plan_weekdays",
        )
        return "weekdays:" + ",".join(days or [])
    if kind in ("days", "monthly"):
        number = st.number_input(
            t(f"plan.form.{kind}"),
            min_value=1,
            max_value=366 if kind == "days" else 31,
            value=1,
            step=1,
            key=f"plan_{kind}",
        )
        return f"{kind}:{int(number)}"
    return "daily"


def new_plan_form() -> None:
    st.subheader(t("plan.form.title"))
    options = service.plan_choices(database(), user, lang)
    self_inspection = st.toggle(t("plan.form.self"), key="plan_self", help=t("plan.form.self_help"))
    every = every_input()
    with st.form("plan_form", border=True):
        name = st.text_input(t("plan.form.name"))
        checklists = st.multiselect(
            t("plan.form.checklists"), list(options["checklist"]), format_func=options["checklist"].get
        )
        kinds = [None, *(kind.value for kind in SiteKind)]
        site_kind = st.selectbox(
            t("plan.form.site_kind"),
            kinds,
            format_func=lambda k: t("plan.form.any") if k is None else t(f"inspect.kind.{k}"),
        )
        subdistrict = st.selectbox(
            t("plan.form.subdistrict"),
            [None, *options["subdistrict"]],
            format_func=lambda s: t("plan.form.any") if s is None else options["subdistrict"][s],
        )
        sites = st.multiselect(
            t("plan.form.sites"), list(options["site"]), format_func=options["site"].get, help=t("plan.form.sites_help")
        )
        team = (
            []
            if self_inspection
            else st.multiselect(t("plan.form.team"), list(options["team"]), format_func=options["team"].get)
        )
        period = st.date_input(t("plan.form.period"), value=(today, today + timedelta(days=30)), format="YYYY-MM-DD")
        if st.form_submit_button(t("plan.form.save"), type="primary", icon=":material/add_task:", width="stretch"):
            start, end = (period[0], period[-1]) if isinstance(period, (tuple, list)) and period else (today, today)
            try:
                made = service.add_plan(
                    database(),
                    user,
                    name=name,
                    checklist_ids=checklists,
                    site_codes=sites,
                    site_kind=site_kind,
                    subdistrict=subdistrict,
                    team=team,
                    self_inspection=self_inspection,
                    every=every,
                    start=start,
                    end=end,
                    now=now(),
                )
                state[NOTICE] = t("plan.form.saved", name=plain(made.name))
                st.rerun()
            except AuditError as error:
                show_error(error)


st.title(t("plan.page.title"))
if NOTICE in state:
    st.success(state.pop(NOTICE), icon=":material/check_circle:")
coverage_section()
plan_list()
new_plan_form()
