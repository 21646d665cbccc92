"""The dashboard's charts: what a supervisor reads and taps, checked in the Vega-Lite they become."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audit.services import dashboard as analytics
from audit.ui import charts
from tests.factories import DISTRICT_MONTH as MONTH
from tests.factories import DISTRICT_SUPERVISOR as SUPERVISOR
from tests.factories import DISTRICT_TODAY as TODAY
from tests.factories import build_district


@pytest.fixture
def boards(db):
    ids = build_district(db, TODAY)
    return ids, {
        lang: analytics.dashboard(db, SUPERVISOR, MONTH, language=lang, today=TODAY) for lang in ("zh-CN", "en")
    }


def spec(chart) -> dict:
    return chart.to_dict()


def rows(chart) -> list[dict]:
    return [row for values in spec(chart)["datasets"].values() for row in values]


def text_of(chart) -> str:
    return json.dumps(spec(chart), ensure_ascii=False)


def selection_params(chart) -> list[dict]:
    """Altair lifts a layer's selection to the top level; look in both places."""
    layered = [p for layer in spec(chart)["layer"] for p in layer.get("params", [])]
    return spec(chart).get("params", []) + layered


def test_site_chart_selects_by_site_id(boards):
    ids, board = boards
    chart = charts.findings_by_site(board["zh-CN"].by_site, "zh-CN")
    params = selection_params(chart)
    assert [(p["name"], p["select"]["fields"]) for p in params] == [(charts.SITE_SELECTION, ["site_id"])]
    assert "value" not in params[0]
    assert {row["site_id"] for row in rows(chart)} == {ids["A"], ids["B"], ids["C"]}


def test_a_selected_site_stays_highlighted(boards):
    ids, board = boards
    chart = charts.findings_by_site(board["zh-CN"].by_site, "zh-CN", selected_site=ids["B"])
    params = selection_params(chart)
    assert params[0]["value"] == [{"site_id": ids["B"]}]
    assert "opacity" in spec(chart)["layer"][0]["encoding"]


@pytest.mark.parametrize(
    "language, words",
    [
        ("zh-CN", ["各地点问题数", "严重", "较重", "一般", "问题数"]),
        ("en", ["Findings by site", "Critical", "Major", "Minor", "Findings"]),
    ],
)
def test_site_chart_speaks_the_ui_language(boards, language, words):
    chart = charts.findings_by_site(boards[1][language].by_site, language)
    text = text_of(chart)
    assert all(word in text for word in words)


def test_others_longer_than_every_site_is_cut_and_labelled():
    frame = pd.DataFrame(
        {
            "site_id": ["s1", "s1", None, None],
            "site": ["国胜大酒店集中隔离点"] * 2 + ["其他地点"] * 2,
            "severity": ["critical", "major", "critical", "major"],
            "findings": [10, 30, 1000, 2036],
            "rank": [1, 1, 2, 2],
            "severity_label": ["严重", "较重", "严重", "较重"],
        }
    )
    chart = spec(charts.findings_by_site(frame, "zh-CN"))
    assert len(chart["layer"]) == 3
    assert chart["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 52.0]
    assert "3,036 ▸" in json.dumps(chart, ensure_ascii=False)
    # Comparable totals need no cut.
    even = frame.assign(findings=[10, 30, 20, 25])
    assert len(spec(charts.findings_by_site(even, "zh-CN"))["layer"]) == 1


def test_every_chart_fits_the_width_and_keeps_its_height(boards):
    board = boards[1]["zh-CN"]
    built = [
        charts.findings_by_site(board.by_site, "zh-CN"),
        charts.findings_over_time(board.over_time, "zh-CN", MONTH.grain),
        charts.site_checklist_heatmap(board.site_checklist, "zh-CN"),
        charts.status_ageing(board.ageing, "zh-CN"),
        charts.time_to_close(board.time_to_close, "zh-CN"),
        charts.failing_items(board.failing_items, "zh-CN"),
        charts.repeat_offenders(board.repeat_offenders, "zh-CN"),
    ]
    for chart in built:
        assert spec(chart)["autosize"] == {"type": "fit-x", "contains": "padding"}
        assert spec(chart)["height"] >= 80


def test_ageing_chart_shows_what_is_not_closed_in_the_office_colours(boards):
    board = boards[1]["en"]
    chart = charts.status_ageing(board.ageing, "en")
    assert {row["status"] for row in rows(chart)} == {"open", "awaiting_verification"}
    colour = spec(chart)["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"])) == {
        "Overdue > 7 days": "#d32f2f",
        "Overdue": "#fbc02d",
        "Due within 2 days": "#1e88e5",
        "Not yet due": "#66bb6a",
    }
    assert "2 closed ones not shown" in text_of(chart)


def test_time_axis_labels_follow_the_grain():
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "checklist_id": ["ppe"] * 2,
            "checklist": ["个人防护"] * 2,
            "findings": [3, 4],
        }
    )
    assert [r["period_label"] for r in rows(charts.findings_over_time(frame, "zh-CN", "month"))] == [
        "2026-01",
        "2026-02",
    ]
    assert "按月" in text_of(charts.findings_over_time(frame, "zh-CN", "month"))


def test_repeat_offenders_name_site_and_item_on_two_lines(boards):
    chart = charts.repeat_offenders(boards[1]["zh-CN"].repeat_offenders, "zh-CN")
    assert [r["pair"] for r in rows(chart)] == ["虹桥宾馆集中隔离点\n工作人员不得与拟隔离人员同车"]
    assert "split(datum.label" in spec(chart)["encoding"]["y"]["axis"]["labelExpr"]
