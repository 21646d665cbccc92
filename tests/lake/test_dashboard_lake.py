"""On a lake the dashboard reads the findings once per call and the sites and checklists from the
process's cache: every figure, chart and page is what a file gives for the same district, and what
another process commits shows on the next call."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest

from audit.model import FindingFilter, Overdue, Severity, Status
from audit.services import dashboard
from audit.store import backend, open_database
from tests.conftest import ROOT
from tests.factories import DISTRICT_MONTH as MONTH
from tests.factories import DISTRICT_SUPERVISOR as SUPERVISOR
from tests.factories import DISTRICT_TODAY as TODAY
from tests.factories import HOSPITAL_ACCOUNT, build_district

FILTERS = [
    MONTH,
    replace(MONTH, severities=(Severity.CRITICAL, Severity.MAJOR), statuses=(Status.OPEN, Status.CLOSED)),
    replace(MONTH, subdistrict="虹桥街道"),
    replace(MONTH, site_kind="fever_clinic"),
    replace(MONTH, checklist="个人防护"),
    replace(MONTH, search="2026-000"),
    replace(MONTH, search="口罩"),
    replace(MONTH, colours=(Overdue.RED, Overdue.NONE)),
    replace(MONTH, repeats_only=True),
    replace(MONTH, origin="supervision"),
    FindingFilter(found_from=TODAY - timedelta(days=400), found_to=TODAY),
]
CHARTS = ("by_site", "over_time", "site_checklist", "ageing", "time_to_close", "failing_items", "repeat_offenders")
# Made by each store for itself (sites on import, findings by the factory): compared by the names shown.
OWN_IDS = ("site_id", "id")


@pytest.fixture
def both(lake_target, tmp_path):
    databases = [open_database(tmp_path / "audit.duckdb"), open_database(lake_target)]
    sites = [build_district(database, TODAY) for database in databases]
    yield databases, sites
    for database in databases:
        database.close()


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the ids each store made; rows in a tie between sites are ordered by those
    ids, so a frame that has them is compared as a set of rows."""
    ordered_by_ids = "site_id" in frame
    frame = frame.drop(columns=[column for column in (*OWN_IDS, "rank") if column in frame])
    if ordered_by_ids:
        frame = frame.sort_values(list(frame.columns), key=lambda column: column.astype(str))
    return frame.reset_index(drop=True)


def _everything(database, actor, flt, **options) -> dict:
    board = dashboard.dashboard(database, actor, flt, today=TODAY, **options)
    shown = {"headline": board.headline, **{chart: _shown(getattr(board, chart)) for chart in CHARTS}}
    for page in (1, 2):
        rows = dashboard.findings_page(database, actor, flt, today=TODAY, page=page, page_size=3, **options)
        shown[f"page {page}"] = (_shown(rows.rows), rows.total, rows.pages)
    return shown


def _same(file: dict, lake: dict) -> None:
    assert file.keys() == lake.keys()
    for key, value in file.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, lake[key], obj=key)
        elif isinstance(value, tuple) and value and isinstance(value[0], pd.DataFrame):
            pd.testing.assert_frame_equal(value[0], lake[key][0], obj=key)
            assert value[1:] == lake[key][1:], key
        else:
            assert value == lake[key], key


@pytest.mark.parametrize("flt", FILTERS, ids=lambda flt: str(FILTERS.index(flt)))
def test_every_figure_chart_and_page_is_the_files(both, flt):
    (file, lake), _ = both
    seen = _everything(file, SUPERVISOR, flt)
    assert seen["page 1"][1] > 0  # every filter finds something to compare
    _same(seen, _everything(lake, SUPERVISOR, flt))
    with lake.one_snapshot():  # as the page calls them: the charts and the pages share one read
        _same(seen, _everything(lake, SUPERVISOR, flt))


def test_a_unit_and_a_picked_site_see_what_they_see_on_a_file(both):
    (file, lake), (file_ids, lake_ids) = both
    _same(_everything(file, HOSPITAL_ACCOUNT, MONTH), _everything(lake, HOSPITAL_ACCOUNT, MONTH))
    for flt in (MONTH, replace(MONTH, severities=(Severity.MINOR,))):
        picked = [_everything(file, SUPERVISOR, flt, selected_site=file_ids["A"])]
        picked.append(_everything(lake, SUPERVISOR, flt, selected_site=lake_ids["A"]))
        assert picked[0]["page 1"][1] > 0
        _same(*picked)
        with lake.one_snapshot():
            _same(picked[0], _everything(lake, SUPERVISOR, flt, selected_site=lake_ids["A"]))


def test_one_snapshot_holding_several_filters_gives_each_its_own_findings(both):
    """A page's calls in one snapshot share what they read alike; a call with another filter, or a
    query of the table itself, still sees the findings it asks for, not a copy made for another."""
    (file, lake), _ = both
    wider = FindingFilter(found_from=TODAY - timedelta(days=400), found_to=TODAY)
    narrow = replace(MONTH, subdistrict="虹桥街道", severities=(Severity.CRITICAL,))
    expected = [_everything(file, SUPERVISOR, flt) for flt in (narrow, wider, narrow)]
    with file.read() as cursor:
        every = cursor.execute("SELECT count(*) FROM findings").fetchone()[0]
    with lake.one_snapshot():
        for flt, seen in zip((narrow, wider, narrow), expected, strict=True):
            _same(seen, _everything(lake, SUPERVISOR, flt))
            with lake.read() as cursor:
                assert cursor.execute("SELECT count(*) FROM findings").fetchone()[0] == every


CHANGE_ELSEWHERE = """
import sys
from dataclasses import replace
from datetime import timedelta
from audit.store import open_database
from audit.store import checklists
from audit.store.findings import insert_finding
from audit.store.inspections import insert_inspection
from audit.store.sites import import_sites
from audit.model import Inspection, new_id
from audit.model import Severity, Text
from tests.factories import DISTRICT_CHECKLISTS, DISTRICT_TODAY, DISTRICT_UNITS, _site_rows, at_day, make_finding

database = open_database(sys.argv[1])
with database.write() as cursor:
    if sys.argv[2] == "site renamed":
        import_sites(cursor, [dict(_site_rows()[0], name_zh="虹桥宾馆（新址）")], actor="elsewhere")
    elif sys.argv[2] == "inspection submitted":
        insert_inspection(cursor, Inspection(id=new_id(), site_id=sys.argv[3], checklist_id="ppe", checklist_version=1,
                          checklist_hash="h", inspectors=["elsewhere"], started_at=at_day(DISTRICT_TODAY, 1),
                          status="submitted", created_by="elsewhere"))
    elif sys.argv[2] == "finding recorded":
        insert_finding(cursor, make_finding("2026-0100", site_id=sys.argv[3], checklist_id="ppe", item_id="P-01",
                       severity=Severity.CRITICAL, found_at=at_day(DISTRICT_TODAY, 1), responsible_unit=DISTRICT_UNITS["A"]))
    else:
        ppe = DISTRICT_CHECKLISTS[-1]
        checklists.register(cursor, replace(ppe, version=2, title=Text("个人防护（新）", "PPE (new)"),
                                             content_hash="ppe-2"), None)
database.close()
"""


def _elsewhere(target: str, change: str, *arguments: str) -> None:
    """Another process of the lake commits a change, as another server would."""
    done = subprocess.run(
        [sys.executable, "-c", CHANGE_ELSEWHERE, target, change, *arguments], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_what_another_process_commits_shows_on_the_next_call(both, monkeypatch):
    (_, lake), (_, ids) = both
    reads: list[str] = []
    whole = backend._whole
    monkeypatch.setattr(backend, "_whole", lambda cursor, table: reads.append(table) or whole(cursor, table))

    def seen() -> tuple[str, dict]:
        version = dashboard.data_version(lake)
        board = dashboard.dashboard(lake, SUPERVISOR, MONTH, today=TODAY)
        site_findings = board.by_site.groupby("site")["findings"].sum().to_dict()
        return version, {"sites": site_findings, "checklists": set(board.over_time["checklist"])}

    version, before = seen()
    assert sorted(reads) == ["checklists", "sites"] and before["sites"]["虹桥宾馆集中隔离点"] == 4
    reads.clear()
    assert seen() == (version, before) and reads == []  # nothing changed: no table read again, same version

    _elsewhere(lake.target, "site renamed")
    version, after = seen()
    assert (
        reads == ["sites"]
        and after["sites"].pop("虹桥宾馆（新址）") == 4
        and "虹桥宾馆集中隔离点" not in after["sites"]
    )

    _elsewhere(lake.target, "finding recorded", ids["A"])
    reads.clear()
    newer, counted = seen()
    assert newer != version and counted["sites"]["虹桥宾馆（新址）"] == 5 and reads == []

    _elsewhere(lake.target, "checklist reworded")
    last, named = seen()
    assert last != newer and reads == ["checklists"]
    assert "个人防护（新）" in named["checklists"] and "个人防护" not in named["checklists"]


def test_a_call_reads_the_lake_in_one_transaction_and_each_table_once(both, monkeypatch):
    (_, lake), _ = both
    dashboard.dashboard(lake, SUPERVISOR, MONTH, today=TODAY)  # the account, sites and checklists cached
    cursors, statements = _recorded(lake, monkeypatch)
    dashboard.dashboard(lake, SUPERVISOR, MONTH, today=TODAY)
    # The account check and the charts share one snapshot; the inspections are counted beside them,
    # on a second cursor reading the lake as of that snapshot.
    assert len(cursors) == 2
    assert _pinned_to(statements) == {cursors[0].snapshot}
    lake_reads = [sql for sql in statements if "FROM lake.main.findings" in sql or "FROM findings" in sql]
    assert sum("lake.main.findings f" in sql for sql in lake_reads) == 1  # the charts read the one copy
    cursors.clear()
    dashboard.findings_page(lake, SUPERVISOR, MONTH, today=TODAY)
    assert len(cursors) == 1


def _recorded(lake, monkeypatch) -> tuple[list, list[str]]:
    """The cursors `lake` opens from now on, and every statement run on them, as they come."""
    cursors, statements = [], []
    opened = type(lake)._cursor

    def cursor(database, **options):
        made = opened(database, **options)
        cursors.append(made)
        execute = made.execute
        made.execute = lambda sql, *rest: statements.append(sql) or execute(sql, *rest)
        return made

    monkeypatch.setattr(type(lake), "_cursor", cursor)
    return cursors, statements


def _pinned_to(statements: list[str]) -> set[int]:
    """The snapshots that statements read the lake's tables as of (`AT (VERSION => n)`)."""
    return {int(version) for sql in statements for version in re.findall(r"AT \(VERSION => (\d+)\)", sql)}


@pytest.mark.parametrize("picked", [False, True], ids=["all sites", "a site picked"])
def test_the_page_reads_the_lake_once_for_its_charts_and_its_findings(both, monkeypatch, picked):
    """What the dashboard page asks for after a filter change (the data version, the charts, the first
    page of findings) is one transaction, reading the lake's findings once, a site picked or not."""
    (_, lake), (_, ids) = both
    flt = replace(MONTH, severities=(Severity.CRITICAL, Severity.MAJOR))
    selected = ids["A"] if picked else None
    dashboard.dashboard(lake, SUPERVISOR, MONTH, today=TODAY)  # the account, sites and checklists cached
    cursors, statements = _recorded(lake, monkeypatch)
    with lake.one_snapshot():
        dashboard.data_version(lake)
        board = dashboard.dashboard(lake, SUPERVISOR, flt, selected_site=selected, today=TODAY)
        page = dashboard.findings_page(lake, SUPERVISOR, flt, selected_site=selected, today=TODAY)
    assert len(cursors) == 2  # the page's transaction, and the inspections counted beside it as of its snapshot
    assert _pinned_to(statements) == {cursors[0].snapshot}
    assert sum("lake.main.findings f" in sql for sql in statements) == 1
    monkeypatch.undo()
    assert page.total == dashboard.findings_page(lake, SUPERVISOR, flt, selected_site=selected, today=TODAY).total > 0
    pd.testing.assert_frame_equal(
        board.ageing, dashboard.dashboard(lake, SUPERVISOR, flt, selected_site=selected, today=TODAY).ageing
    )


def test_the_inspections_counted_beside_the_charts_are_those_of_the_same_snapshot(both):
    (file, lake), (_, ids) = both
    flt = FindingFilter(found_from=TODAY - timedelta(days=400), found_to=TODAY)

    def inspections() -> float:
        return next(
            f.current
            for f in dashboard.dashboard(lake, SUPERVISOR, flt, today=TODAY).headline
            if f.key == "inspections"
        )

    before = inspections()
    assert before == next(
        f.current for f in dashboard.dashboard(file, SUPERVISOR, flt, today=TODAY).headline if f.key == "inspections"
    )
    with lake.one_snapshot():
        dashboard.data_version(lake)  # the snapshot is taken
        _elsewhere(lake.target, "inspection submitted", ids["A"])
        assert inspections() == before
    assert inspections() == before + 1


def test_reads_in_one_snapshot_see_no_commit_made_meanwhile(both):
    (_, lake), (_, ids) = both
    flt = FindingFilter(found_from=TODAY - timedelta(days=400), found_to=TODAY)
    with lake.one_snapshot():
        before = dashboard.findings_page(lake, SUPERVISOR, flt, today=TODAY).total
        _elsewhere(lake.target, "finding recorded", ids["A"])
        assert dashboard.findings_page(lake, SUPERVISOR, flt, today=TODAY).total == before
    assert dashboard.findings_page(lake, SUPERVISOR, flt, today=TODAY).total == before + 1
