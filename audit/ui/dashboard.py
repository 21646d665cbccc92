"""Supervisor dashboard: where problems concentrate, whether they get fixed, who repeats them.

Every number comes from `audit.services.dashboard` (DuckDB SQL); results are cached per filter choice and
keyed on the data version, so a change to any finding shows on the next rerun.
"""

from __future__ import annotations

from dataclasses import astuple
from datetime import date, timedelta
from functools import partial

import streamlit as st

from audit import i18n
from audit.errors import AuditError
from audit.model import (
    DEFAULT_DAYS,
    CoverageBoard,
    Dashboard,
    Figure,
    FilterChoices,
    FindingFilter,
    FindingsPage,
    Severity,
    SiteKind,
    Status,
    User,
)
from audit.services import dashboard as service
from audit.services import plans
from audit.services.permissions import Permission, can, unit_scope
from audit.ui import charts
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, guarded, language, now, t

# The site picked by tapping a bar (a bare string here would be drawn on the page by Streamlit magic).
SELECTED_SITE = "dashboard.selected_site"
# The tapped bar of coverage over time: its first day, with the range (from, to) whose chart it was tapped on.
SELECTED_PERIOD = "dashboard.selected_period"
COVERAGE_CHART = "dashboard.coverage_chart"
PAGE = "dashboard.page"
SITE_CHART = "dashboard.site_chart"
MISSED_CHARTS = {"missed_sites": "dashboard.missed_chart", "missed_self_reports": "dashboard.self_missed_chart"}
METRIC_WIDTH = 152
ROW_PIXELS = 35
PERIODS = ("30", "90", "365", "custom")
FILTER_KEYS = (
    "dashboard.subdistrict",
    "dashboard.community",
    "dashboard.site_kind",
    "dashboard.site",
    "dashboard.checklist",
    "dashboard.severity",
    "dashboard.status",
)


@st.cache_data(max_entries=64, show_spinner=False)
def _dashboard(
    path: str, version: str, user: User, filters: FindingFilter, selected: str | None, lang: str, today: date
) -> Dashboard:
    return service.dashboard(database(), user, filters, selected_site=selected, language=lang, today=today)


@st.cache_data(max_entries=64, show_spinner=False)
def _findings_page(
    path: str, version: str, user: User, filters: FindingFilter, selected: str | None, page: int, lang: str, today: date
) -> FindingsPage:
    return service.findings_page(
        database(), user, filters, selected_site=selected, page=page, language=lang, today=today
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _coverage(
    path: str, version: str, user: User, filters: FindingFilter, selected: str | None, lang: str, today: date
) -> CoverageBoard:
    return plans.dashboard_coverage(
        database(), user, filters, selected_site=selected, today=today, now=now(), language=lang
    )


@st.cache_data(max_entries=16, show_spinner=False)
def _choices(path: str, version: str, user: User, lang: str) -> FilterChoices:
    return service.filter_choices(database(), user, lang)


def _named(prefix: str):
    """Option names in today's language, fixed now: a widget may format its options outside this run."""
    lang = language()
    return lambda code: i18n.t(f"{prefix}.{code}", lang)


def _pick(column, name: str, names: dict[str, str]):
    """A select of `names`' keys whose first option, None, means "all"."""
    everything = t("dashboard.all")
    return column.selectbox(
        t(f"dashboard.{name}"),
        [None, *names],
        key=f"dashboard.{name}",
        format_func=lambda v: everything if v is None else names.get(v, v),
    )


def _period(today: date) -> tuple[date, date] | None:
    choice = st.segmented_control(
        t("dashboard.period"), PERIODS, default="90", key="dashboard.period", format_func=_named("dashboard.period")
    )
    if choice != "custom":
        return today - timedelta(days=int(choice or DEFAULT_DAYS) - 1), today
    chosen = st.date_input(
        t("dashboard.dates"),
        value=(today - timedelta(days=DEFAULT_DAYS - 1), today),
        max_value=today,
        key="dashboard.dates",
    )
    return tuple(chosen) if len(chosen) == 2 else None


def _filters(choices: FilterChoices, today: date) -> FindingFilter | None:
    active = sum(bool(st.session_state.get(key)) for key in FILTER_KEYS)
    label = t("dashboard.filters.active", count=active) if active else t("dashboard.filters")
    with st.expander(label, icon=":material/filter_list:", key="dashboard.filters_open"):
        period = _period(today)
        left, right = st.columns(2)
        subdistrict = _pick(left, "subdistrict", choices.subdistricts())
        community = _pick(right, "community", choices.communities(subdistrict))
        kind = _pick(left, "site_kind", {kind: t(f"dashboard.kind.{kind}") for kind in choices.site_kinds})
        site = _pick(right, "site", choices.site_names(subdistrict, community, kind))
        checklist = _pick(left, "checklist", choices.checklist_titles())
        severities = st.pills(
            t("dashboard.severity"),
            choices.severities,
            selection_mode="multi",
            key="dashboard.severity",
            format_func=_named("dashboard.severity"),
        )
        statuses = st.pills(
            t("dashboard.status"),
            choices.statuses,
            selection_mode="multi",
            key="dashboard.status",
            format_func=_named("dashboard.status"),
        )
    if period is None:
        st.info(t("dashboard.dates.incomplete"))
        return None
    return FindingFilter(
        found_from=period[0],
        found_to=period[1],
        subdistrict=subdistrict,
        community=community,
        site_kind=SiteKind(kind) if kind else None,
        site=site,
        checklist=checklist,
        severities=tuple(map(Severity, severities)),
        statuses=tuple(map(Status, statuses)),
    )


def _format(figure: Figure, value: float | None, signed: bool = False) -> str:
    if value is None:
        return t("dashboard.no_value")
    sign = "+" if signed else ""
    if figure.unit == "rate":
        return t("dashboard.unit.points", value=f"{value * 100:{sign}.1f}") if signed else f"{value:.1%}"
    if figure.unit == "days":
        return t("dashboard.unit.days", value=f"{value:{sign}.1f}")
    return f"{int(value):{sign},}"


def _headline(board: Dashboard) -> None:
    _figures(board.headline)
    before = board.filters.previous_start
    st.caption(t("dashboard.compared", start=before, end=board.filters.found_from - timedelta(days=1)))


def _figures(figures: tuple[Figure, ...]) -> None:
    # A wrapping row: four figures a line on a wide screen, two on a tablet held upright.
    row = st.container(horizontal=True, gap="small")
    for figure in figures:
        change = figure.change
        colour = "off" if not change else "normal" if figure.higher_is_better else "inverse"
        row.metric(
            t(f"dashboard.figure.{figure.key}"),
            _format(figure, figure.current),
            delta=None if change is None else _format(figure, change, signed=True),
            delta_color=colour,
            delta_arrow="auto" if change else "off",
            help=t(f"dashboard.figure.{figure.key}.help"),
            border=True,
            width=METRIC_WIDTH,
        )


def _chart(name: str, frame, build, **options) -> None:
    """One chart with its download button, or a plain sentence when it has nothing to draw."""
    lang = language()
    if frame.empty:
        st.markdown(f"**{t(f'dashboard.chart.{name}.title')}**")
        st.caption(t("dashboard.chart_empty"))
        return
    st.altair_chart(build(frame, lang), width="stretch", **options)
    st.download_button(
        t("dashboard.download"),
        service.csv_bytes(frame, lang),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"dashboard.csv.{name}",
        icon=":material/download:",
    )


def _on_site_tap(chart: str = SITE_CHART) -> None:
    points = st.session_state[chart].selection.get(charts.SITE_SELECTION) or []
    st.session_state[SELECTED_SITE] = points[0].get("site_id") if points else None
    st.session_state[PAGE] = 1


def _on_period_tap(whole: FindingFilter) -> None:
    points = st.session_state[COVERAGE_CHART].selection.get(charts.PERIOD_SELECTION) or []
    start = points[0].get("period_start") if points else None
    st.session_state[SELECTED_PERIOD] = (
        (date.fromisoformat(start), (whole.found_from, whole.found_to)) if start else None
    )
    st.session_state[PAGE] = 1


def _tapped_period(filters: FindingFilter) -> date | None:
    """The first day of the tapped period, while the filters' range is still the one it was tapped in."""
    tapped = st.session_state.get(SELECTED_PERIOD)
    if tapped and tapped[1] == (filters.found_from, filters.found_to):
        return tapped[0]
    st.session_state[SELECTED_PERIOD] = None  # another range was chosen since: it holds other bars
    return None


def _period_chip(narrowed: FindingFilter | None) -> None:
    """The tapped period, with a way back to the whole range."""
    if narrowed is None:
        return
    start, end = narrowed.found_from, narrowed.found_to
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.text(
        t("dashboard.selected_day", day=f"{start}")
        if start == end
        else t("dashboard.selected_period", start=f"{start}", end=f"{end}")
    )
    if right.button(t("dashboard.clear_period"), icon=":material/close:", key="dashboard.clear_period"):
        st.session_state[SELECTED_PERIOD] = None
        st.rerun()


def _selection_chip(selected: str | None, choices: FilterChoices) -> None:
    """The tapped site, with a way back to all sites (shown even when it leaves nothing to draw)."""
    if not selected:
        return
    names = choices.site_names()
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.text(t("dashboard.selected", site=names.get(selected, selected)))  # plain text: names are data
    if right.button(t("dashboard.clear_selection"), icon=":material/close:", key="dashboard.clear"):
        st.session_state[SELECTED_SITE] = None
        st.rerun()


def _charts(board: Dashboard) -> None:
    _chart(
        "by_site",
        board.by_site,
        lambda frame, lang: charts.findings_by_site(frame, lang, board.selected_site),
        key=SITE_CHART,
        on_select=guarded(_on_site_tap),
        selection_mode=charts.SITE_SELECTION,
    )
    _chart(
        "over_time", board.over_time, lambda frame, lang: charts.findings_over_time(frame, lang, board.filters.grain)
    )
    _chart("site_checklist", board.site_checklist, charts.site_checklist_heatmap)
    _chart("ageing", board.ageing, charts.status_ageing)
    _chart("time_to_close", board.time_to_close, charts.time_to_close)
    _chart("failing_items", board.failing_items, charts.failing_items)
    _chart("repeat_offenders", board.repeat_offenders, charts.repeat_offenders)


def _coverage_section(
    board: CoverageBoard, whole: CoverageBoard, filters: FindingFilter, tapped: date | None, today: date
) -> None:
    """Planned visits done and missed, and the sites missed this week; units' self-reports apart.

    `board` is narrowed to a tapped period; the chart over time draws `whole`, the filters' range, so
    every period stays there to tap, the tapped one highlighted, as the site charts keep every site."""
    st.subheader(t("dashboard.coverage.title"))
    if not board.due:
        st.info(t("dashboard.coverage.empty"), icon=":material/event_busy:")
    else:
        _figures(board.headline)
    if whole.due:
        _chart(
            "coverage",
            whole.over_time,
            lambda frame, lang: charts.coverage_over_time(frame, lang, filters.grain, tapped),
            key=COVERAGE_CHART,
            on_select=guarded(partial(_on_period_tap, filters)),
            selection_mode=charts.PERIOD_SELECTION,
        )
    week = {"start": f"{board.week_start:%m-%d}", "end": f"{today:%m-%d}"}
    for name, frame in (("missed_sites", board.missed_sites), ("missed_self_reports", board.missed_self_reports)):
        if frame.empty:
            st.caption(t(f"dashboard.coverage.{name}.none", **week))
            continue
        _chart(
            name,
            frame,
            lambda frame, lang, name=name: charts.missed_sites(frame, lang, name, board.selected_site, **week),
            key=MISSED_CHARTS[name],
            on_select=guarded(partial(_on_site_tap, MISSED_CHARTS[name])),
            selection_mode=charts.SITE_SELECTION,
        )


def _turn_to(page: int) -> None:
    st.session_state[PAGE] = page


@st.fragment
@guarded
def _drilldown(load) -> None:
    """The findings behind the charts; turning a page reruns only this part, not the charts."""
    st.subheader(t("dashboard.drill.title"))
    result: FindingsPage = load(st.session_state.get(PAGE, 1))
    rows = result.rows.assign(link="finding?id=" + result.rows["id"])
    shown = [
        "link",
        "number",
        "found_at",
        "site",
        "item",
        "severity_label",
        "status_label",
        "ageing_label",
        "deadline",
        "responsible_unit",
    ]
    headers = {column: t(f"dashboard.column.{column.removesuffix('_label')}") for column in shown}
    config = {column: st.column_config.Column(header) for column, header in headers.items()}
    config["link"] = st.column_config.LinkColumn(headers["link"], display_text=t("dashboard.drill.open"), width="small")
    config["found_at"] = st.column_config.DatetimeColumn(headers["found_at"], format="YYYY-MM-DD HH:mm")
    config["deadline"] = st.column_config.DateColumn(headers["deadline"], format="YYYY-MM-DD")
    st.dataframe(
        rows[shown],
        column_config=config,
        hide_index=True,
        width="stretch",
        key="dashboard.findings",
        height=ROW_PIXELS * (len(rows) + 1) + 3,
    )
    back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
    back.button(
        t("dashboard.drill.previous"),
        disabled=result.page <= 1,
        key="dashboard.previous",
        width="stretch",
        on_click=guarded(_turn_to),
        args=(result.page - 1,),
    )
    where.caption(t("dashboard.drill.count", total=f"{result.total:,}", page=result.page, pages=result.pages))
    forward.button(
        t("dashboard.drill.next"),
        disabled=result.page >= result.pages,
        key="dashboard.next",
        width="stretch",
        on_click=guarded(_turn_to),
        args=(result.page + 1,),
    )


def _restart_paging_on_change(filters: FindingFilter, selected: str | None) -> None:
    signature = (astuple(filters), selected)
    if st.session_state.get("dashboard.signature") != signature:
        st.session_state["dashboard.signature"] = signature
        st.session_state[PAGE] = 1


def show() -> None:
    st.title(t("dashboard.title"))
    st.caption(t("dashboard.subtitle"))
    # The page's calls read one snapshot: on a lake, one transaction, and the findings the charts
    # and the page of findings share read once.
    with database().one_snapshot():
        _page()


def _page() -> None:
    user, lang, today = current_user(), language(), date.today()
    path, version = str(database().path), service.data_version(database())
    unit = unit_scope(user) if user else None
    if unit:
        st.text(t("dashboard.scope_unit", unit=unit))
    choices = _choices(path, version, user, lang)
    filters = _filters(choices, today)
    if filters is None:
        return
    selected = st.session_state.get(SELECTED_SITE)
    tapped = _tapped_period(filters)
    whole, filters = filters, filters.narrowed_to(tapped) if tapped else filters
    _restart_paging_on_change(filters, selected)
    board = _dashboard(path, version, user, filters, selected, lang, today)
    _selection_chip(selected, choices)
    _period_chip(filters if tapped else None)
    if board.empty:
        st.info(t("dashboard.empty"))
    else:
        _headline(board)
    if can(user, Permission.VIEW_COVERAGE):
        coverage = _coverage(path, version, user, filters, selected, lang, today)
        over_time = _coverage(path, version, user, whole, selected, lang, today) if tapped else coverage
        _coverage_section(coverage, over_time, whole, tapped, today)
    if board.empty:
        return
    _charts(board)
    _drilldown(lambda page: _findings_page(path, version, user, filters, selected, page, lang, today))


try:
    show()
except AuditError as error:
    show_error(error)
