"""The ledger's and the dashboard's reads give the same answers on a lake (no indexes) as on a file."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest

from audit.model import FindingFilter, Overdue, Status
from audit.services import dashboard, ledger
from audit.store import ledger as store
from tests.factories import LEDGER_TODAY as TODAY
from tests.factories import SUPERVISOR, seed_ledger


@pytest.fixture
def seeded(any_db):
    ids = seed_ledger(any_db)
    return any_db, ids


@pytest.mark.parametrize("sort", store.BUCKETED)
@pytest.mark.parametrize("descending", [True, False])
def test_every_page_of_a_sort_matches_the_full_sort(seeded, sort, descending):
    database, _ = seeded
    where, params = store._where(FindingFilter(), TODAY)
    with database.read() as cursor:
        everything = store.offset_ids(cursor, where, params, sort, descending, 100, 0)
        pages = [store.page_ids(cursor, where, params, sort, descending, 3, offset) for offset in range(0, 9, 3)]
    assert [finding for page in pages for finding in page] == everything and len(everything) == 8


def test_a_page_its_total_and_its_colour_filter(seeded):
    database, _ = seeded
    red = ledger.ledger_page(database, SUPERVISOR, FindingFilter(colours=(Overdue.RED,)), today=TODAY, sort="overdue")
    assert red.total == 2 and {row.overdue for row in red.rows} == {Overdue.RED}
    last = ledger.ledger_page(database, SUPERVISOR, FindingFilter(), page=9, page_size=3, today=TODAY)
    assert (last.page, last.pages, last.total, len(last.rows)) == (3, 3, 8, 2)
    assert all(row.site for row in last.rows)


def test_a_findings_page_names_its_checklist_and_site(seeded):
    database, ids = seeded
    detail = ledger.finding_detail(database, SUPERVISOR, ids["2026-0001"])
    assert detail.site and detail.site["name"] == "国胜集中隔离点"


def test_filter_choices_and_the_dashboard(seeded):
    database, _ = seeded
    options = ledger.filter_options(database, SUPERVISOR)
    assert [label for _, label in options["subdistrict"]] == ["崇川开发区", "虹桥街道"]
    assert len(options["site"]) == 2
    board = dashboard.dashboard(
        database, SUPERVISOR, FindingFilter(found_from=TODAY - timedelta(days=400), found_to=TODAY), today=TODAY
    )
    assert board.by_site["findings"].sum() == 8


def test_an_export_is_complete_under_the_memory_cap(seeded):
    database, _ = seeded
    out, ticks = io.BytesIO(), []
    flt = FindingFilter(statuses=(Status.OPEN, Status.CLOSED))
    rows = ledger.export_ledger(
        database,
        SUPERVISOR,
        flt,
        "xlsx",
        out,
        today=TODAY,
        progress=lambda done, total, stage: ticks.append((done, total)),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert rows == sheet.max_row - 1 == 6 and ticks[-1] == (6, 6)
