"""What the supervisor dashboard shows: figures and chart rows aggregated in DuckDB.

Pages pass a `FindingFilter`; this module checks the permission, confines unit accounts to their own
findings, asks the store for small grouped frames and names their codes in the UI language.
No frame here holds more rows than a chart draws.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from audit import i18n
from audit.exports.formulas import neutralise
from audit.model import Dashboard, Figure, FilterChoices, FindingFilter, FindingsPage, User
from audit.services.permissions import Permission, require, scoped, unit_scope
from audit.store import Database
from audit.store import analytics as store

TOP_SITES = 15
TOP_ITEMS = 10
PAGE_SIZE = 25
# Every table the page's cached reads use: figures, charts, filter choices, coverage, the account's check.
READ_TABLES = ("findings", "inspections", "sites", "checklists", "checklist_retirements", "plans", "tasks", "users")


def _scoped(
    database: Database, actor: User, filters: FindingFilter, selected_site: str | None = None
) -> tuple[FindingFilter, FindingFilter]:
    """The filter as this person may run it, and that narrowed further to a site picked on the chart."""
    actor = require(actor, Permission.VIEW_DASHBOARD, database)
    flt = scoped(actor, filters)
    return flt, (replace(flt, site=selected_site) if selected_site else flt)


def _findings_read_once(cursor, whole: FindingFilter):
    """The findings the dashboard's calls read, read once (on a lake): those of `whole` over its period
    and the one before it, which the figures compare. The charts and the page of findings ask for the
    same, so a page that makes both calls in one snapshot reads them once (`store.findings_read_once`)."""
    if whole.found_from and whole.found_to:
        whole = replace(whole, found_from=whole.previous_start)
    return store.findings_read_once(cursor, whole, store.PAGE_COLUMNS)


def _periods(frame: pd.DataFrame, column: str) -> dict[str, float | None]:
    values = dict(zip(frame["period"], frame[column]))
    return {period: values.get(period) for period in ("current", "previous")}


def _ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if whole else None


def _headline(findings: pd.DataFrame, inspections: pd.DataFrame) -> tuple[Figure, ...]:
    def per_period(column: str, default: float | None = 0) -> dict:
        return {k: (default if v is None or pd.isna(v) else float(v)) for k, v in _periods(findings, column).items()}

    count, closed, repeats = per_period("findings"), per_period("closed"), per_period("repeats")
    visits = {k: float(v or 0) for k, v in _periods(inspections, "inspections").items()}
    rate = lambda part: {p: _ratio(part[p], count[p]) for p in ("current", "previous")}  # noqa: E731
    figures = [
        ("inspections", visits, True, "count"),
        ("findings", count, False, "count"),
        ("open", per_period("open"), False, "count"),
        ("overdue", per_period("overdue"), False, "count"),
        ("closure_rate", rate(closed), True, "rate"),
        ("median_days_to_close", per_period("median_days_to_close", None), False, "days"),
        ("repeat_rate", rate(repeats), False, "rate"),
    ]
    return tuple(
        Figure(key, values["current"], values["previous"], better, unit) for key, values, better, unit in figures
    )


def _label(frame: pd.DataFrame, column: str, prefix: str, language: str) -> pd.DataFrame:
    frame[f"{column}_label"] = [i18n.t(f"{prefix}.{value}", language) for value in frame[column]]
    return frame


def _fill(frame: pd.DataFrame, column: str, key: str, language: str) -> pd.DataFrame:
    frame[column] = frame[column].astype(object).where(frame[column].notna(), i18n.t(key, language))
    return frame


def dashboard(
    database: Database,
    actor: User,
    filters: FindingFilter,
    *,
    selected_site: str | None = None,
    language: str = i18n.DEFAULT_LANGUAGE,
    today: date | None = None,
) -> Dashboard:
    """Every figure and chart of the page. The site chart ignores `selected_site` so the other
    bars stay clickable; everything else is narrowed to it."""
    today = today or date.today()
    default = FindingFilter.last_days(today)
    filters = replace(
        filters, found_from=filters.found_from or default.found_from, found_to=filters.found_to or default.found_to
    )
    lang = i18n.short(language)
    previous = filters.previous_start
    with database.one_snapshot():
        whole, scope = _scoped(database, actor, filters, selected_site)
        # The inspections are counted while the charts' findings are read: on a lake, side by side.
        visits = database.beside(lambda cursor: store.inspections(cursor, scope, previous), store.INSPECTION_TABLES)
        # Every chart below asks for findings of `whole` in the two periods, or of `scope`, narrower still.
        with database.read() as cursor, store.names_read_once(cursor), _findings_read_once(cursor, whole):
            findings = store.headline(cursor, scope, previous, today)
            sites = store.top_sites(cursor, whole, TOP_SITES)
            by_site = store.findings_by_site(cursor, whole, lang, sites)
            over_time = store.findings_over_time(cursor, scope, lang, filters.grain)
            # The matrix ranks the same sites, unless a tapped site narrowed it to that one.
            matrix_sites = sites if scope == whole else store.top_sites(cursor, scope, TOP_SITES)
            matrix = store.site_checklist_matrix(cursor, scope, lang, matrix_sites)
            ageing = store.status_ageing(cursor, scope, today)
            closing = store.time_to_close(cursor, scope)
            items = store.failing_items(cursor, scope, lang, TOP_ITEMS)
            repeats = store.repeat_offenders(cursor, scope, lang, TOP_ITEMS)
    return Dashboard(
        filters=filters,
        headline=_headline(findings, visits.result()),
        selected_site=selected_site,
        by_site=_label(
            _fill(by_site, "site", "dashboard.others", language), "severity", "dashboard.severity", language
        ),
        over_time=_fill(over_time, "checklist", "dashboard.no_checklist", language),
        site_checklist=_fill(matrix, "checklist", "dashboard.no_checklist", language),
        ageing=_label(_label(ageing, "status", "dashboard.status", language), "ageing", "dashboard.ageing", language),
        time_to_close=_label(closing, "bucket", "dashboard.close_bucket", language),
        failing_items=_fill(items, "checklist", "dashboard.no_checklist", language),
        repeat_offenders=_fill(repeats, "checklist", "dashboard.no_checklist", language),
    )


def findings_page(
    database: Database,
    actor: User,
    filters: FindingFilter,
    *,
    selected_site: str | None = None,
    page: int = 1,
    language: str = i18n.DEFAULT_LANGUAGE,
    today: date | None = None,
    page_size: int = PAGE_SIZE,
) -> FindingsPage:
    """The findings behind the charts, newest first, one page at a time (pages count from 1)."""
    with database.one_snapshot():
        whole, scope = _scoped(database, actor, filters, selected_site)
        with database.read() as cursor, store.names_read_once(cursor), _findings_read_once(cursor, whole):
            total = store.count_findings(cursor, scope)
            pages = max(1, -(-total // page_size))
            page = min(max(1, page), pages)
            rows = store.findings_page(
                cursor, scope, i18n.short(language), today or date.today(), page_size, (page - 1) * page_size
            )
    rows = _label(
        _label(_label(rows, "severity", "dashboard.severity", language), "status", "dashboard.status", language),
        "ageing",
        "dashboard.ageing",
        language,
    )
    return FindingsPage(
        rows=_fill(rows, "checklist", "dashboard.no_checklist", language), total=total, page=page, pages=pages
    )


def filter_choices(database: Database, actor: User, language: str = i18n.DEFAULT_LANGUAGE) -> FilterChoices:
    """Sites (with the attributes filtered by) and checklists to offer in the filters."""
    actor = require(actor, Permission.VIEW_DASHBOARD, database)
    with database.read() as cursor:
        sites = store.site_directory(cursor, i18n.short(language), unit_scope(actor))
        checklists = store.checklist_titles(cursor, i18n.short(language))
    return FilterChoices(sites=sites, checklists=checklists, site_kinds=tuple(sorted(sites["kind"].unique())))


def data_version(database: Database) -> str:
    """A token that changes whenever the data behind the dashboard changes; caches key on it."""
    return database.data_version(READ_TABLES)


def csv_bytes(frame: pd.DataFrame, language: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    """A chart's rows for Excel: UTF-8 with BOM, headers in the UI language, codes and ids left out,
    and text that Excel would run as a formula made inert with a leading quote."""
    shown = [
        f"{c}_label" if f"{c}_label" in frame else c
        for c in frame.columns
        if not c.endswith(("_id", "_label")) and c != "rank"
    ]
    table = frame[shown].copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = table[column].map(neutralise)
    table.columns = [i18n.t(f"dashboard.column.{column.removesuffix('_label')}", language) for column in shown]
    return table.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")  # CR in a cell is quoted too
