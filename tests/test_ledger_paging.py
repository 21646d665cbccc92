"""Ledger pages found from counts per (sort key, deadline) give exactly the rows OFFSET gives."""

from __future__ import annotations

import pytest

from audit.demo import generate
from audit.model import FindingFilter, Overdue, Severity, Status
from audit.store import ledger as store
from audit.store import open_database
from audit.store.findings import events_of_finding
from audit.store.ledger import _where
from tests.test_demo import CHECKLISTS, NOW

TODAY = NOW.date()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    database = open_database(tmp_path_factory.mktemp("paging") / "paging.duckdb")
    generate(database, CHECKLISTS, findings=3000, seed=5, now=NOW)
    yield database
    database.close()


def both(database, flt: FindingFilter, sort: str, descending: bool, limit: int, offset: int):
    where, params = _where(flt, TODAY)
    with database.read() as cursor:
        return (
            store.page_ids(cursor, where, params, sort, descending, limit, offset),
            store.offset_ids(cursor, where, params, sort, descending, limit, offset),
        )


@pytest.mark.parametrize("sort", store.BUCKETED)
@pytest.mark.parametrize("descending", [False, True])
def test_every_page_is_the_one_offset_gives(ledger, sort, descending):
    for limit, offset in ((50, 0), (50, 50), (25, 1000), (100, 2950), (7, 1234), (50, 2990), (50, 3000)):
        paged, offset_page = both(ledger, FindingFilter(), sort, descending, limit, offset)
        assert paged == offset_page, (sort, descending, limit, offset)
    assert len(both(ledger, FindingFilter(), sort, descending, 50, 100)[0]) == 50


@pytest.mark.parametrize(
    "flt",
    [
        FindingFilter(statuses=(Status.OPEN, Status.REOPENED)),
        FindingFilter(severities=(Severity.CRITICAL,)),
        FindingFilter(repeats_only=True),
        FindingFilter(colours=(Overdue.RED,)),
        FindingFilter(colours=(Overdue.YELLOW, Overdue.BLUE)),
        FindingFilter(colours=(Overdue.NONE,)),
        FindingFilter(statuses=(Status.CLOSED,)),
    ],
)
def test_filtered_pages_are_the_ones_offset_gives(ledger, flt):
    for sort in store.BUCKETED:
        for descending in (True, False):
            for offset in (0, 10, 40, 200):
                paged, offset_page = both(ledger, flt, sort, descending, 20, offset)
                assert paged == offset_page, (flt, sort, descending, offset)


def test_walking_every_page_in_the_default_order_lists_every_finding_once(ledger):
    seen = []
    for page in range(0, 3000, 250):
        seen += both(ledger, FindingFilter(), "overdue", True, 250, page)[0]
    assert len(seen) == len(set(seen)) == 3000


def test_a_deep_page_sorts_only_the_rows_of_its_own_groups(ledger, monkeypatch):
    calls = []
    offset_ids = store.offset_ids

    def spy(cursor, where, params, sort, descending, limit, offset):
        calls.append((where, offset))
        return offset_ids(cursor, where, params, sort, descending, limit, offset)

    monkeypatch.setattr(store, "offset_ids", spy)
    where, params = _where(FindingFilter(), TODAY)
    with ledger.read() as cursor:
        store.page_ids(cursor, where, params, "overdue", True, 50, 2000)
    ((narrowed, skipped),) = calls  # one run of groups, here all of one colour
    assert "$low_d" in narrowed and skipped < 2000


def test_a_findings_steps_have_an_index_on_their_finding(ledger):
    """DuckDB's EXPLAIN shows an index lookup as a table scan, so the index itself is what is checked."""
    with ledger.read() as cursor:
        indexed = cursor.execute("SELECT table_name, expressions FROM duckdb_indexes()").fetchall()
        (finding_id,) = cursor.execute("SELECT finding_id FROM finding_events LIMIT 1").fetchone()
        steps = events_of_finding(cursor, finding_id)
    assert ("finding_events", "[finding_id]") in indexed
    assert steps and steps[0]["action"] == "found"


@pytest.mark.parametrize("shift", [-30, -8, -7, -1, 0, 2, 3, 30])
def test_each_colour_condition_picks_the_findings_of_that_colour(ledger, shift):
    """The colour filters and the overdue sort test the deadline against constants; the colour they
    pick is the one overdue_sql works out, on every day near each band's edge."""
    from datetime import timedelta

    from audit.store.filters import colour_condition, overdue_sql

    today = TODAY + timedelta(days=shift)
    with ledger.read() as cursor:
        for colour in Overdue:
            picked, coloured = cursor.execute(
                f"SELECT count(*) FILTER (WHERE {colour_condition(colour)}), "
                f"count(*) FILTER (WHERE ({overdue_sql()}) = $colour) FROM findings f",
                {"today": today, "colour": colour.value},
            ).fetchone()
            assert picked == coloured, (colour, shift)
        ranks = cursor.execute(
            f"SELECT DISTINCT ({overdue_sql()}), {store.SORTS['overdue']} FROM findings f", {"today": today}
        ).fetchall()
    assert all(rank == store.OVERDUE_RANKS.get(Overdue(colour), 1) for colour, rank in ranks)


def test_a_page_longer_than_one_lookup_batch_keeps_its_rows_and_order(ledger):
    where, params = _where(FindingFilter(), TODAY)
    with ledger.read() as cursor:
        rows = store.ledger_page(
            cursor, FindingFilter(), TODAY, language="en", sort="overdue", descending=True, limit=120
        )
        expected = store.offset_ids(cursor, where, params, "overdue", True, 120, 0)
    assert store.LOOKUP_BATCH < 120 and [row.id for row in rows] == expected
