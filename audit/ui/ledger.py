"""Rectification ledger: filter, sort and page through findings; tap one to open it; export what is shown."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import streamlit as st

from audit.errors import AuditError
from audit.model import ExportStage, FindingFilter, Overdue, Severity, Status
from audit.services.ledger import (
    FORMATS,
    PAGE_SIZES,
    SORT_KEYS,
    export_ledger,
    export_progress,
    filter_options,
    ledger_page,
)
from audit.services.permissions import Permission, can, unit_scope
from audit.ui.errors import show_error
from audit.ui.session import current_user, database, guarded, language, t
from audit.ui.text import plain

FINDING_PAGE = "audit/ui/finding.py"
ROW_HEIGHT = 44  # a finger's width: rows are tapped to open them
COLOURS = {"blue": "#D6E6FF", "yellow": "#FFF1B8", "red": "#FFD4D4"}
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "pdf": "application/pdf",
}
state = st.session_state
user = current_user()


def back_to_first_page() -> None:
    state["ledger_page"] = 1


FILTER_KEYS = (
    "status",
    "overdue",
    "severity",
    "subdistrict",
    "community",
    "site",
    "checklist",
    "unit",
    "dates",
    "search",
    "repeats",
    "origin",
)
ORIGINS = ("supervision", "self", "all")


def clear_filters() -> None:
    for name in FILTER_KEYS:
        state.pop(f"ledger_{name}", None)
    back_to_first_page()


def pills(name: str, members, kind: str) -> tuple:
    chosen = st.pills(
        t(f"ledger.filter.{name}"),
        list(members),
        selection_mode="multi",
        format_func=lambda m: t(f"ledger.{kind}.{m.value}"),
        key=f"ledger_{name}",
        on_change=guarded(back_to_first_page),
    )
    return tuple(chosen)


def choice(column, name: str, options: list[tuple[str, str]]) -> str | None:
    labels = dict(options)
    return column.selectbox(
        t(f"ledger.filter.{name}"),
        [None, *labels],
        key=f"ledger_{name}",
        format_func=lambda v: t("ledger.filter.any") if v is None else labels.get(v, v),
        on_change=guarded(back_to_first_page),
    )


@st.cache_data(ttl=60, show_spinner=False)
def choices(_database, path: str, who, lang: str) -> dict:
    # Each list is a DISTINCT over every finding: a minute old is fresh enough for a dropdown.
    return filter_options(_database, who, lang)


def filters() -> FindingFilter:
    options = choices(database(), str(database().path), user, language())
    scope = unit_scope(user)
    with st.expander(t("ledger.filter.title"), icon=":material/filter_list:"):
        statuses = pills("status", Status, "status")
        colours = pills("overdue", Overdue, "overdue")
        severities = pills("severity", Severity, "severity")
        left, right = st.columns(2)
        subdistrict = choice(left, "subdistrict", options["subdistrict"])
        community = choice(right, "community", options["community"])
        site = choice(left, "site", options["site"])
        checklist = choice(right, "checklist", options["checklist"])
        if scope is None:
            unit = choice(left, "unit", options["unit"])
        else:
            unit = scope
            left.caption(t("ledger.filter.own_unit", unit=plain(scope)))
        dates = right.date_input(
            t("ledger.filter.dates"), value=(), key="ledger_dates", on_change=guarded(back_to_first_page)
        )
        search = left.text_input(t("ledger.filter.search"), key="ledger_search", on_change=guarded(back_to_first_page))
        repeats = right.toggle(t("ledger.filter.repeats"), key="ledger_repeats", on_change=guarded(back_to_first_page))
        # Self-inspection (自查) findings are seen on asking; supervision ones are the default.
        origin = left.segmented_control(
            t("ledger.filter.origin"),
            ORIGINS,
            default="supervision",
            key="ledger_origin",
            format_func=lambda o: t(f"ledger.origin.{o}"),
            on_change=guarded(back_to_first_page),
        )
        st.button(t("ledger.filter.clear"), icon=":material/filter_alt_off:", on_click=guarded(clear_filters))
    found = list(dates) + [None, None]
    return FindingFilter(
        statuses=statuses,
        colours=colours,
        severities=severities,
        subdistrict=subdistrict,
        community=community,
        site=site,
        unit=unit,
        checklist=checklist,
        found_from=found[0],
        found_to=found[1] or found[0],
        repeats_only=repeats,
        search=search,
        origin=origin or "supervision",
    )


def sorting() -> tuple[str, bool]:
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    # Most urgent first unless the user asks otherwise.
    sort = left.selectbox(
        t("ledger.sort.by"),
        SORT_KEYS,
        key="ledger_sort",
        index=SORT_KEYS.index("overdue"),
        format_func=lambda key: t(f"ledger.sort.{key}"),
        on_change=guarded(back_to_first_page),
    )
    direction = right.segmented_control(
        t("ledger.sort.by"),
        ["ascending", "descending"],
        key="ledger_direction",
        default="descending",
        format_func=lambda d: t(f"ledger.sort.{d}"),
        label_visibility="collapsed",
        on_change=guarded(back_to_first_page),
    )
    return sort, direction == "descending"


def table(rows) -> None:
    """The page's rows; tapping one opens that finding."""
    heads = {
        key: t(f"ledger.column.{key}")
        for key in (
            "number",
            "deadline",
            "overdue",
            "status",
            "description",
            "site",
            "responsible_unit",
            "severity",
            "found_at",
            "repeat",
        )
    }
    # Narrow screens see the first columns: what it is, by when, how late, where it stands.
    frame = pd.DataFrame(
        [
            {
                heads["number"]: row.number,
                heads["deadline"]: row.deadline,
                heads["overdue"]: "" if row.overdue is Overdue.NONE else t(f"ledger.overdue.{row.overdue.value}"),
                heads["status"]: t(f"ledger.status.{row.status.value}"),
                heads["description"]: row.description,
                heads["site"]: row.site or "",
                heads["responsible_unit"]: row.responsible_unit,
                heads["severity"]: t(f"ledger.severity.{row.severity.value}"),
                heads["found_at"]: row.found_at.date(),
                heads["repeat"]: t("ledger.repeat.yes") if row.is_repeat else "",
            }
            for row in rows
        ]
    )
    colours = [COLOURS.get(row.overdue.value, "") for row in rows]
    styled = frame.style.apply(
        lambda column: [f"background-color: {c}" if c else "" for c in colours],
        subset=[heads["deadline"], heads["overdue"]],
    )
    nonce = state.setdefault("ledger_table_nonce", 0)
    event = st.dataframe(
        styled,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"ledger_table_{nonce}",
        row_height=ROW_HEIGHT,
        height=ROW_HEIGHT * (len(rows) + 1) + 3,
        column_config={
            heads["description"]: st.column_config.TextColumn(width="large"),
            heads["found_at"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
            heads["deadline"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
        },
    )
    if event.selection.rows:
        chosen = rows[event.selection.rows[0]].id
        state["ledger_table_nonce"] = nonce + 1  # a fresh table, unselected, when the user comes back
        state.pop(f"seen_version_{chosen}", None)  # opening it now: what it shows now is what edits build on
        st.switch_page(FINDING_PAGE, query_params={"id": chosen})
    st.caption(t("ledger.open_hint"))


def turn_page(step: int) -> None:
    state["ledger_page"] = state.get("ledger_page", 1) + step


def pager(page) -> None:
    previous, middle, following = st.columns([1, 2, 1], vertical_alignment="center")
    previous.button(
        t("ledger.page.previous"),
        icon=":material/chevron_left:",
        disabled=page.page <= 1,
        on_click=guarded(turn_page),
        args=(-1,),
        width="stretch",
    )
    middle.caption(t("ledger.summary", total=f"{page.total:,}", page=page.page, pages=page.pages))
    following.button(
        t("ledger.page.next"),
        icon=":material/chevron_right:",
        disabled=page.page >= page.pages,
        on_click=guarded(turn_page),
        args=(1,),
        width="stretch",
    )


def exports(flt: FindingFilter, sort: str, descending: bool, total: int) -> None:
    st.subheader(t("ledger.export.title"))
    st.caption(t("ledger.export.scope"))
    fmt = st.segmented_control(
        t("ledger.export.format"),
        FORMATS,
        default="xlsx",
        key="ledger_export_format",
        format_func=lambda f: t(f"ledger.export.{f}"),
    )
    wanted = (flt, sort, descending, fmt, language())
    prepared = state.get("ledger_export")
    if prepared and prepared[0] != wanted:
        prepared = state["ledger_export"] = None
    if st.button(
        t("ledger.export.prepare", count=f"{total:,}"),
        icon=":material/description:",
        disabled=fmt is None or total == 0,
    ):
        bar = st.progress(0.0, text=t("ledger.export.progress", done=0, total=f"{total:,}"))

        def progress(done: int, of: int, stage: ExportStage) -> None:
            bar.progress(*export_progress(done, of, stage, language()))

        out = io.BytesIO()
        try:
            export_ledger(
                database(),
                user,
                flt,
                fmt,
                out,
                language=language(),
                sort=sort,
                descending=descending,
                progress=progress,
            )
        except AuditError as error:
            bar.empty()
            show_error(error)
            return
        bar.empty()
        stem = t("ledger.notice.file") if fmt == "pdf" else t("ledger.file")
        prepared = state["ledger_export"] = (wanted, f"{stem}-{date.today():%Y%m%d}.{fmt}", out.getvalue())
    if prepared:
        st.download_button(
            t("ledger.export.download", name=prepared[1]),
            prepared[2],
            file_name=prepared[1],
            mime=MIME[prepared[0][3]],
            icon=":material/download:",
            type="primary",
        )


st.title(t("ledger.title"))
st.caption(t("ledger.subtitle"))
try:
    flt = filters()
    sort, descending = sorting()
    size = st.session_state.get("ledger_page_size", PAGE_SIZES[0])
    page = ledger_page(
        database(),
        user,
        flt,
        page=state.get("ledger_page", 1),
        page_size=size,
        sort=sort,
        descending=descending,
        language=language(),
    )
except AuditError as error:
    show_error(error)
    st.stop()
state["ledger_page"] = page.page
if page.total == 0:
    st.info(t("ledger.no_match") if flt != FindingFilter(unit=flt.unit) else t("ledger.empty"))
else:
    table(page.rows)
    pager(page)
    st.selectbox(t("ledger.page.size"), PAGE_SIZES, key="ledger_page_size", on_change=guarded(back_to_first_page))
if can(user, Permission.EXPORT):
    exports(flt, sort, descending, page.total)
