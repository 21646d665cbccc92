"""Altair charts of the dashboard: a small grouped frame in, a chart out, labelled in one language.

Colours carry meaning the offices already use: deadline ageing is blue (due within 2 days),
yellow (overdue) and red (overdue more than 7 days); severity runs from pale to dark red.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from audit import i18n

SITE_SELECTION = "site"
"""Name of the point selection on the site chart; the page reads the clicked site from it."""
PERIOD_SELECTION = "period"
"""Name of the point selection on coverage over time; the page reads the tapped period's first day from it."""

SEVERITY_COLOURS = {"critical": "#b71c1c", "major": "#ef6c00", "minor": "#ffb74d"}
AGEING_COLOURS = {"red": "#d32f2f", "yellow": "#fbc02d", "blue": "#1e88e5", "none": "#66bb6a", "closed": "#bdbdbd"}
STATUS_ORDER = ("open", "reopened", "awaiting_verification", "closed")
ROW_HEIGHT = 26
COUNTS = alt.Axis(tickMinStep=1, format=",d")
"""Counts are whole: no 0.5 ticks when the numbers are small."""
LABEL_LIMIT = 220


def _title(key: str, language: str, **values) -> alt.TitleParams:
    return alt.TitleParams(
        i18n.t(f"dashboard.chart.{key}.title", language, **values),
        subtitle=i18n.t(f"dashboard.chart.{key}.subtitle", language, **values),
        anchor="start",
        fontSize=16,
        subtitleFontSize=12,
        offset=8,
    )


def _axis_title(key: str, language: str) -> str:
    return i18n.t(f"dashboard.column.{key}", language)


def _scale(colours: dict[str, str], prefix: str, language: str) -> alt.Scale:
    """A fixed colour per code, named in the UI language, in a fixed legend order."""
    return alt.Scale(domain=[i18n.t(f"{prefix}.{code}", language) for code in colours], range=list(colours.values()))


def _height(rows: int) -> int:
    return max(80, rows * ROW_HEIGHT)


def _sized(chart, height: int):
    """Fit the page's width, keep `height` for the plot itself.

    Streamlit otherwise fits the whole chart, title and legend included, into `height`,
    which squeezes the bars of a chart with a tall legend into a sliver.
    """
    return chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _legend() -> alt.Legend:
    return alt.Legend(orient="top", title=None, labelFontSize=12, columns=3, labelLimit=200, offset=6, padding=0)


def findings_by_site(frame: pd.DataFrame, language: str, selected_site: str | None = None) -> alt.LayerChart:
    """Stacked bars per site; tapping a bar selects its site (the point selection SITE_SELECTION).

    "Other sites" adds up everything below the top sites and would flatten their bars, so when it
    is much longer it becomes one grey bar cut at the axis end, its total written on it and its
    split by severity in the tooltip.
    """
    chosen = {"value": [{"site_id": selected_site}]} if selected_site else {}
    pick = alt.selection_point(name=SITE_SELECTION, fields=["site_id"], toggle=False, **chosen)
    order = {code: rank for rank, code in enumerate(SEVERITY_COLOURS)}
    data = frame.assign(severity_order=frame["severity"].map(order))
    named, others = data[data["site_id"].notna()], data[data["site_id"].isna()]
    longest = named.groupby("site_id")["findings"].sum().max() if len(named) else 0
    cut = longest * 1.3 if len(named) and others["findings"].sum() > longest * 1.3 else None
    y = alt.Y(
        "site:N",
        sort=alt.EncodingSortField("rank", op="min"),
        title=None,
        axis=alt.Axis(labelLimit=LABEL_LIMIT, labelFontSize=13),
    )
    x_title = _axis_title("findings", language)
    bars = (
        alt.Chart(named if cut else data)
        .mark_bar(cursor="pointer")
        .encode(
            y=y,
            # One row per site and severity already: no aggregate, so every bar keeps its site_id to select by.
            x=alt.X(
                "findings:Q",
                title=x_title,
                stack="zero",
                axis=COUNTS,
                scale=alt.Scale(domain=[0, cut]) if cut else alt.Undefined,
            ),
            color=alt.Color(
                "severity_label:N", scale=_scale(SEVERITY_COLOURS, "dashboard.severity", language), legend=_legend()
            ),
            order=alt.Order("severity_order:Q"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)) if selected_site else alt.value(1.0),
            tooltip=[
                alt.Tooltip("site:N", title=_axis_title("site", language)),
                alt.Tooltip("severity_label:N", title=_axis_title("severity", language)),
                alt.Tooltip("findings:Q", title=x_title),
            ],
        )
        .add_params(pick)
    )
    layers = [bars]
    if cut:
        layers += _others_bar(others, cut, y, language)
    return _sized(alt.layer(*layers, title=_title("by_site", language)), _height(data["site"].nunique()))


def _others_bar(others: pd.DataFrame, cut: float, y: alt.Y, language: str) -> list[alt.Chart]:
    split = dict(zip(others["severity_label"], others["findings"]))
    total = int(others["findings"].sum())
    row = pd.DataFrame(
        [
            {
                "site": others["site"].iloc[0],
                "rank": others["rank"].iloc[0],
                "at": cut,
                "findings": total,
                "text": f"{total:,} ▸",
                **split,
            }
        ]
    )
    tooltip = [
        alt.Tooltip("site:N", title=_axis_title("site", language)),
        alt.Tooltip("findings:Q", title=_axis_title("findings", language)),
        *(alt.Tooltip(f"{label}:Q") for label in split),
    ]
    base = alt.Chart(row).encode(y=y, tooltip=tooltip)
    return [
        base.mark_bar(color="#9e9e9e").encode(x="at:Q"),
        base.mark_text(align="right", dx=-6, color="white", fontWeight="bold", fontSize=13).encode(
            x="at:Q", text="text:N"
        ),
    ]


_TIME_FORMATS = {"day": "%m-%d", "week": "%m-%d", "month": "%Y-%m"}


def findings_over_time(frame: pd.DataFrame, language: str, grain: str) -> alt.Chart:
    data = frame.assign(period_label=pd.to_datetime(frame["period"]).dt.strftime(_TIME_FORMATS[grain]))
    grain_name = i18n.t(f"dashboard.grain.{grain}", language)
    return _sized(
        alt.Chart(data, title=_title("over_time", language, grain=grain_name))
        .mark_bar()
        .encode(
            x=alt.X(
                "period_label:O",
                title=None,
                sort=alt.EncodingSortField("period"),
                axis=alt.Axis(labelAngle=-45, labelOverlap=True),
            ),
            y=alt.Y("sum(findings):Q", title=_axis_title("findings", language), axis=COUNTS),
            color=alt.Color("checklist:N", legend=_legend(), scale=alt.Scale(scheme="tableau10")),
            tooltip=[
                alt.Tooltip("period_label:O", title=_axis_title("period", language)),
                alt.Tooltip("checklist:N", title=_axis_title("checklist", language)),
                alt.Tooltip("findings:Q", title=_axis_title("findings", language)),
            ],
        ),
        260,
    )


def site_checklist_heatmap(frame: pd.DataFrame, language: str) -> alt.LayerChart:
    base = alt.Chart(frame, title=_title("site_checklist", language)).encode(
        x=alt.X(
            "checklist:N",
            title=None,
            sort="ascending",
            axis=alt.Axis(labelAngle=-45, labelLimit=140, labelFontSize=12, labelOverlap=False),
        ),
        y=alt.Y(
            "site:N",
            sort=alt.EncodingSortField("rank", op="min"),
            title=None,
            axis=alt.Axis(labelLimit=LABEL_LIMIT, labelFontSize=13),
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("findings:Q", scale=alt.Scale(scheme="orangered"), legend=None),
        tooltip=[
            alt.Tooltip("site:N", title=_axis_title("site", language)),
            alt.Tooltip("checklist:N", title=_axis_title("checklist", language)),
            alt.Tooltip("findings:Q", title=_axis_title("findings", language)),
        ],
    )
    darkest = frame["findings"].max() if len(frame) else 0
    numbers = base.mark_text(fontSize=12).encode(
        text="findings:Q",
        color=alt.condition(alt.datum.findings > darkest * 0.6, alt.value("white"), alt.value("#222")),
    )
    return _sized(cells + numbers, _height(frame["site"].nunique()))


def status_ageing(frame: pd.DataFrame, language: str) -> alt.Chart:
    """Findings not yet closed per status, coloured by deadline; closed ones are only counted in
    the subtitle, since their bar would dwarf the ones that need attention."""
    order = {code: rank for rank, code in enumerate(AGEING_COLOURS)}
    pending = frame[frame["status"] != "closed"].assign(ageing_order=lambda f: f["ageing"].map(order))
    closed = int(frame.loc[frame["status"] == "closed", "findings"].sum())
    statuses = [i18n.t(f"dashboard.status.{code}", language) for code in STATUS_ORDER]
    colours = {code: colour for code, colour in AGEING_COLOURS.items() if code != "closed"}
    return _sized(
        alt.Chart(pending, title=_title("ageing", language, closed=f"{closed:,}"))
        .mark_bar()
        .encode(
            y=alt.Y("status_label:N", sort=statuses, title=None, axis=alt.Axis(labelFontSize=13)),
            x=alt.X("sum(findings):Q", title=_axis_title("findings", language), axis=COUNTS),
            color=alt.Color("ageing_label:N", scale=_scale(colours, "dashboard.ageing", language), legend=_legend()),
            order=alt.Order("ageing_order:Q"),
            tooltip=[
                alt.Tooltip("status_label:N", title=_axis_title("status", language)),
                alt.Tooltip("ageing_label:N", title=_axis_title("ageing", language)),
                alt.Tooltip("findings:Q", title=_axis_title("findings", language)),
            ],
        ),
        _height(max(1, pending["status"].nunique())),
    )


def time_to_close(frame: pd.DataFrame, language: str) -> alt.Chart:
    return _sized(
        alt.Chart(frame, title=_title("time_to_close", language))
        .mark_bar(color="#5c6bc0")
        .encode(
            x=alt.X(
                "bucket_label:N",
                sort=alt.EncodingSortField("bucket"),
                title=_axis_title("bucket", language),
                axis=alt.Axis(labelAngle=0, labelFontSize=12),
            ),
            y=alt.Y("findings:Q", title=_axis_title("findings", language), axis=COUNTS),
            tooltip=[
                alt.Tooltip("bucket_label:N", title=_axis_title("bucket", language)),
                alt.Tooltip("findings:Q", title=_axis_title("findings", language)),
            ],
        ),
        220,
    )


def failing_items(frame: pd.DataFrame, language: str) -> alt.Chart:
    return _sized(
        alt.Chart(frame, title=_title("failing_items", language))
        .mark_bar(color="#e57373")
        .encode(
            y=alt.Y("item:N", sort="-x", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT + 80, labelFontSize=12)),
            x=alt.X("findings:Q", title=_axis_title("findings", language), axis=COUNTS),
            tooltip=[
                alt.Tooltip("item:N", title=_axis_title("item", language)),
                alt.Tooltip("checklist:N", title=_axis_title("checklist", language)),
                alt.Tooltip("findings:Q", title=_axis_title("findings", language)),
                alt.Tooltip("repeats:Q", title=_axis_title("repeats", language)),
            ],
        ),
        _height(len(frame)),
    )


def repeat_offenders(frame: pd.DataFrame, language: str) -> alt.Chart:
    data = frame.assign(pair=frame["site"] + "\n" + frame["item"].fillna(""))
    return _sized(
        alt.Chart(data, title=_title("repeat_offenders", language))
        .mark_bar(color="#8e24aa")
        .encode(
            y=alt.Y(
                "pair:N",
                sort="-x",
                title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT + 80, labelFontSize=12, labelExpr="split(datum.label, '\\n')"),
            ),
            x=alt.X("repeats:Q", title=_axis_title("repeats", language), axis=COUNTS),
            tooltip=[
                alt.Tooltip("site:N", title=_axis_title("site", language)),
                alt.Tooltip("item:N", title=_axis_title("item", language)),
                alt.Tooltip("checklist:N", title=_axis_title("checklist", language)),
                alt.Tooltip("repeats:Q", title=_axis_title("repeats", language)),
            ],
        ),
        _height(len(frame)) * 2,
    )


COVERAGE_COLOURS = {"done": "#66bb6a", "missed": "#d32f2f"}


def coverage_over_time(
    frame: pd.DataFrame, language: str, grain: str, selected_period: date | None = None
) -> alt.Chart:
    """Planned supervision tasks per period, done and missed stacked: each bar is the tasks due. Tapping a bar
    selects its period by its first day (the point selection PERIOD_SELECTION, field `period_start`)."""
    order = {code: rank for rank, code in enumerate(COVERAGE_COLOURS)}
    periods = pd.to_datetime(frame["period"])
    data = frame.assign(
        period_label=periods.dt.strftime(_TIME_FORMATS[grain]),
        period_start=periods.dt.strftime("%Y-%m-%d"),  # text: a date would come back from the browser as a number
        state_order=frame["state"].map(order),
    )
    chosen = {"value": [{"period_start": f"{selected_period:%Y-%m-%d}"}]} if selected_period else {}
    pick = alt.selection_point(name=PERIOD_SELECTION, fields=["period_start"], toggle=False, **chosen)
    grain_name = i18n.t(f"dashboard.grain.{grain}", language)
    return _sized(
        alt.Chart(data, title=_title("coverage", language, grain=grain_name))
        .mark_bar(cursor="pointer")
        .encode(
            x=alt.X(
                "period_label:O",
                title=None,
                sort=alt.EncodingSortField("period"),
                axis=alt.Axis(labelAngle=-45, labelOverlap=True),
            ),
            y=alt.Y("tasks:Q", title=_axis_title("tasks", language), stack="zero", axis=COUNTS),
            color=alt.Color(
                "state_label:N", scale=_scale(COVERAGE_COLOURS, "dashboard.coverage", language), legend=_legend()
            ),
            order=alt.Order("state_order:Q"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)) if selected_period else alt.value(1.0),
            tooltip=[
                alt.Tooltip("period_label:O", title=_axis_title("period", language)),
                alt.Tooltip("state_label:N", title=_axis_title("state", language)),
                alt.Tooltip("tasks:Q", title=_axis_title("tasks", language)),
                alt.Tooltip("due:Q", title=_axis_title("due", language)),
            ],
        )
        .add_params(pick),
        220,
    )


def missed_sites(frame: pd.DataFrame, language: str, title: str, selected_site: str | None = None, **values):
    """Sites by planned tasks missed; tapping a bar selects its site (the point selection SITE_SELECTION)."""
    chosen = {"value": [{"site_id": selected_site}]} if selected_site else {}
    pick = alt.selection_point(name=SITE_SELECTION, fields=["site_id"], toggle=False, **chosen)
    return _sized(
        alt.Chart(frame, title=_title(title, language, **values))
        .mark_bar(color=COVERAGE_COLOURS["missed"], cursor="pointer")
        .encode(
            y=alt.Y(
                "site:N",
                sort=alt.EncodingSortField("missed", order="descending"),
                title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT, labelFontSize=13),
            ),
            x=alt.X("missed:Q", title=_axis_title("missed", language), axis=COUNTS),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)) if selected_site else alt.value(1.0),
            tooltip=[
                alt.Tooltip("site:N", title=_axis_title("site", language)),
                alt.Tooltip("missed:Q", title=_axis_title("missed", language)),
                alt.Tooltip("due:Q", title=_axis_title("due", language)),
            ],
        )
        .add_params(pick),
        _height(len(frame)),
    )
