"""回头看: a campaign's progress and relapse rates with its export, and a form to start a new campaign."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from audit.errors import AuditError
from audit.model import Campaign, CampaignFilter, RelapseRate, Severity, SiteKind
from audit.services import rechecks as service
from audit.ui.errors import show_error
from audit.ui.inspect_common import plain
from audit.ui.session import current_user, database, language, now, t

NOTICE = "rechecks.notice"
CHOSEN = "rechecks.chosen"
STARTED = "rechecks.started"  # a campaign just started, shown next (the picker's own key cannot be set once drawn)
state = st.session_state
user = current_user()
lang = language()
today = now().date()


def kind_name(kind: str) -> str:
    return t(f"inspect.kind.{kind}")


def rate_table(rows: list[RelapseRate], heading: str, label=str) -> None:
    st.dataframe(
        [
            {
                heading: label(r.group),
                t("recheck.page.items"): r.items,
                t("recheck.page.checked"): r.checked,
                t("recheck.page.relapsed"): r.relapsed,
                t("recheck.page.rate"): f"{r.rate:.0%}" if r.rate is not None else "—",
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        row_height=44,
    )


def describe(campaign: Campaign) -> str:
    scope = campaign.scope
    narrowed = [
        kind_name(scope.site_kind) if scope.site_kind else "",
        t(f"inspect.severity.{scope.severity}") if scope.severity else "",
        scope.unit or "",
    ]
    sample = (
        t("recheck.page.sample_all")
        if campaign.sample_size is None and campaign.sample_share is None
        else t("recheck.page.sample_share", share=f"{campaign.sample_share:.0%}")
        if campaign.sample_share is not None
        else t("recheck.page.sample_size", size=campaign.sample_size)
    )
    return t(
        "recheck.page.scope",
        start=str(scope.closed_from),
        end=str(scope.closed_to),
        filters="、".join(n for n in narrowed if n) or t("recheck.page.no_filter"),
        sample=sample,
        drawn=campaign.drawn,
        population=campaign.population,
        due=str(campaign.due),
        team=", ".join(campaign.team),
    )


def campaign_section(shown: list[Campaign]) -> None:
    names = {c.id: f"{c.name} · {c.created_at:%Y-%m-%d}" for c in shown}
    if STARTED in state:
        state[CHOSEN] = state.pop(STARTED)
    chosen = st.selectbox(t("recheck.page.campaign"), list(names), format_func=names.get, key=CHOSEN)
    try:
        report = service.campaign_report(database(), user, chosen, language=lang)
    except AuditError as error:
        show_error(error)
        return
    campaign = report.campaign
    st.text(describe(campaign))
    # The seed is what makes the draw checkable: shown as code so it can be copied exactly.
    st.markdown(t("recheck.page.seed_label"))
    st.code(str(campaign.seed), language=None)
    st.caption(t("recheck.page.seed_help"))
    cells = st.columns(3)
    cells[0].metric(t("recheck.page.progress"), f"{report.checked} / {len(report.items)}", border=True)
    cells[1].metric(t("recheck.page.relapsed"), f"{report.relapsed}", border=True)
    cells[2].metric(
        t("recheck.page.rate"), f"{report.relapsed / report.checked:.0%}" if report.checked else "—", border=True
    )
    st.progress(report.checked / len(report.items) if report.items else 0.0)
    # One table under the other: side by side, a tablet held upright cut off their rate columns.
    st.markdown(f"**{t('recheck.page.by_unit')}**")
    rate_table(report.by_unit, t("recheck.column.unit"))
    st.markdown(f"**{t('recheck.page.by_site_kind')}**")
    rate_table(report.by_site_kind, t("recheck.column.site_kind"), kind_name)
    # The outcome before the long texts, so it shows without scrolling the table sideways.
    st.dataframe(
        [
            {
                t("recheck.column.number"): item.number,
                t("recheck.column.site"): item.site_name,
                t("recheck.column.outcome"): t(f"recheck.outcome.{item.outcome.value}") if item.outcome else "",
                t("recheck.column.new_number"): item.new_number or "",
                t("recheck.column.checked_by"): item.checked_by or "",
                t("recheck.column.unit"): item.unit,
                t("recheck.column.description"): item.description,
            }
            for item in report.items
        ],
        hide_index=True,
        width="stretch",
        row_height=44,
    )
    st.download_button(
        t("recheck.page.export"),
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
        data=lambda: service.campaign_csv(database(), user, campaign.id, language=lang),
        file_name=f"recheck-{campaign.created_at:%Y%m%d}.csv",
        mime="text/csv",
    )


def sample_inputs() -> tuple[int | None, float | None]:
    modes = {mode: t(f"recheck.form.sample_{mode}") for mode in ("all", "size", "share")}
    mode = (
        st.segmented_control(
            t("recheck.form.sample"), list(modes), default="all", format_func=modes.get, key="recheck_mode"
        )
        or "all"
    )
    if mode == "size":
        return int(st.number_input(t("recheck.form.size"), value=10, step=1, key="recheck_size")), None
    if mode == "share":
        return None, float(
            st.number_input(
                t("recheck.form.share"),
                value=0.2,
                step=0.05,
                format="%.2f",
                help=t("recheck.form.share_help"),
                key="recheck_share",
            )
        )
    return None, None


def new_campaign_form() -> None:
    st.subheader(t("recheck.form.title"))
    team_options = service.team_choices(database(), user, lang)
    unit_options = service.units(database(), user)
    size, share = sample_inputs()
    with st.form("recheck_form", border=True):
        name = st.text_input(t("recheck.form.name"))
        period = st.date_input(
            t("recheck.form.period"),
            value=(today - timedelta(days=30), today),
            format="YYYY-MM-DD",
            help=t("recheck.form.period_help"),
        )
        site_kind = st.selectbox(
            t("recheck.column.site_kind"),
            [None, *(k.value for k in SiteKind)],
            format_func=lambda k: t("recheck.form.any") if k is None else kind_name(k),
        )
        severity = st.selectbox(
            t("recheck.column.severity"),
            [None, *(s.value for s in Severity)],
            format_func=lambda s: t("recheck.form.any") if s is None else t(f"inspect.severity.{s}"),
        )
        unit = st.selectbox(
            t("recheck.column.unit"),
            [None, *unit_options],
            format_func=lambda u: t("recheck.form.any") if u is None else u,
        )
        seed = st.text_input(t("recheck.form.seed"), help=t("recheck.form.seed_help"))
        team = st.multiselect(
            t("recheck.form.team"),
            list(team_options),
            format_func=team_options.get,
            placeholder=t("recheck.form.team_placeholder"),
        )
        due = st.date_input(t("recheck.form.due"), value=today + timedelta(days=7), format="YYYY-MM-DD")
        if st.form_submit_button(t("recheck.form.start"), type="primary", icon=":material/replay:", width="stretch"):
            chosen = list(period) if isinstance(period, (tuple, list)) else [period]
            start, end = (chosen[0], chosen[-1]) if chosen else (today, today)
            try:
                made = service.start_campaign(
                    database(),
                    user,
                    name=name,
                    scope=CampaignFilter(start, end, site_kind, severity, unit),
                    team=team,
                    due=due,
                    sample_size=size,
                    sample_share=share,
                    seed=seed,
                    now=now(),
                )
                state[NOTICE] = t("recheck.form.started", name=plain(made.name), drawn=made.drawn, seed=made.seed)
                state[STARTED] = made.id
                st.rerun()
            except AuditError as error:
                show_error(error)


st.title(t("recheck.page.title"))
if NOTICE in state:
    st.success(state.pop(NOTICE), icon=":material/check_circle:")
campaigns = service.campaigns(database(), user)
if campaigns:
    campaign_section(campaigns)
else:
    st.info(t("recheck.page.none"), icon=":material/replay:")
new_campaign_form()
