"""The dashboard's SQL: every chart is one GROUP BY over the findings that match a `FindingFilter`.

Findings are grouped first and names are joined onto the small grouped result, so a million
findings are scanned once per chart and never joined row by row. Site attributes filter through
a semi-join on the small sites table; item texts come from a lookup built from the checklists'
JSON (a few hundred rows), never by parsing JSON per finding.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd

from audit.i18n import short
from audit.model import FindingFilter
from audit.store import backend
from audit.store.filters import checklist_condition, finding_conditions, overdue_condition, overdue_sql, site_conditions

GRAINS = ("day", "week", "month")
CLOSE_DAY_BOUNDS = (1, 3, 7, 14, 30)
"""Upper bounds (days) of the time-to-close buckets; the last bucket is everything longer."""


# What the charts read of a finding, and what a filter tests without a search term: the columns
# `findings_read_once` copies on a lake. A chart reading another column fails there, loudly.
CHART_COLUMNS = (
    "site_id", "checklist_id", "item_id", "severity", "status", "found_at", "closed_at", "deadline",
    "is_repeat", "responsible_unit", "checklist_text", "self_reported",
)  # fmt: skip
# What the page of findings reads besides: the dashboard copies these for its charts too, so that
# within one snapshot its page reads the same copy (`backend.read_locally`).
PAGE_COLUMNS = (*CHART_COLUMNS, "id", "number")
NAMED_TABLES = ("sites", "checklists")


def names_read_once(cursor: duckdb.DuckDBPyConnection) -> AbstractContextManager:
    """The block's queries name sites and checklists (and filter by them) from one read of each table:
    on a lake, from the process's cache while no commit changed them. On a file, they read the tables."""
    return backend.read_locally(cursor, NAMED_TABLES)


def findings_read_once(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, columns: tuple[str, ...] = CHART_COLUMNS
) -> AbstractContextManager:
    """The block's queries read the findings `flt` matches, of `columns`, from one read of them.

    On a lake they are copied once (each query there costs round trips to the catalog), and the
    block's queries read the copy: each must ask for findings of `flt` only, narrowed further or not
    (a site picked, the current period of two). On a file they read the table, as fast as a copy.
    Within `names_read_once`, the filter's site and checklist tests read those copies.
    """
    where, params = _where(flt)
    if flt.search.strip():  # a search term is tested against these as well (`filters.search_condition`)
        columns = tuple(dict.fromkeys((*columns, "number", "description", "search_key")))
    return backend.read_locally(cursor, (), {"findings": (", ".join(columns), where, params)})


def _where(flt: FindingFilter) -> tuple[str, dict]:
    """WHERE clause over `findings f` and its named parameters; the dashboard always has both days."""
    return finding_conditions(flt)


def _names(language: str) -> str:
    """CTEs naming sites, checklists (newest version) and items (newest wording) in one language."""
    lang = short(language)
    return f"""
    site_names AS (SELECT id AS site_id, name_{lang} AS site FROM sites),
    checklist_names AS (
        SELECT id AS checklist_id, title_{lang} AS checklist FROM checklists
        QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC, first_seen DESC) = 1),
    item_names AS (
        SELECT id AS checklist_id, item->>'id' AS item_id, item->>'$.text.{lang}' AS item
        FROM (SELECT id, version, first_seen,
                     unnest(json_extract(content, '$.sections[*].items[*]')) AS item FROM checklists)
        QUALIFY row_number() OVER (PARTITION BY id, item->>'id' ORDER BY version DESC, first_seen DESC) = 1)
    """


def _ageing() -> str:
    """The deadline colour, or 'closed'."""
    return f"CASE WHEN f.status = 'closed' THEN 'closed' ELSE {overdue_sql()} END"


def _frame(cursor: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    return cursor.execute(sql, params).df()


def headline(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, previous_start: date, today: date) -> pd.DataFrame:
    """One row per period ('current' from flt.found_from, 'previous' from previous_start) of findings figures."""
    where, params = _where(replace(flt, found_from=previous_start))
    params.update(split=flt.found_from, today=today)
    return _frame(
        cursor,
        f"""
        SELECT CASE WHEN f.found_at >= $split THEN 'current' ELSE 'previous' END AS period,
               count(*) AS findings,
               count(*) FILTER (WHERE f.status <> 'closed') AS open,
               count(*) FILTER (WHERE {overdue_condition()}) AS overdue,
               count(*) FILTER (WHERE f.status = 'closed') AS closed,
               -- The median of whole seconds (the middle two averaged), then in days: dividing
               -- every finding's seconds first makes the median sort doubles, about twice the work.
               median(date_diff('second', f.found_at, f.closed_at))
                   FILTER (WHERE f.status = 'closed') / 86400.0 AS median_days_to_close,
               count(*) FILTER (WHERE f.is_repeat) AS repeats
        FROM findings f WHERE {where} GROUP BY ALL
        """,
        params,
    )


# Every table `inspections` reads (`Database.beside` reads them as of one snapshot).
INSPECTION_TABLES = ("inspections", "sites", "checklists", "findings")


def inspections(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, previous_start: date) -> pd.DataFrame:
    """Submitted inspections per period at the chosen sites with the chosen checklist.

    Severity and status describe findings, not inspections, so they do not narrow this count;
    a unit sees the inspections that gave it findings.
    """
    conditions, params = site_conditions(flt, "i.site_id")
    conditions += ["i.status = 'submitted'", "i.started_at >= $start", "i.started_at < $end::DATE + 1"]
    if flt.origin in ("supervision", "self"):
        conditions.append("coalesce(i.self_reported, false) = $self_reported")
        params["self_reported"] = flt.origin == "self"
    params.update(start=previous_start, end=flt.found_to, split=flt.found_from)
    if flt.checklist:
        conditions.append(checklist_condition("i.checklist_id"))
        params["checklist"] = flt.checklist
    if flt.unit:
        conditions.append("i.id IN (SELECT inspection_id FROM findings WHERE responsible_unit = $unit)")
        params["unit"] = flt.unit
    return _frame(
        cursor,
        f"""
        SELECT CASE WHEN i.started_at >= $split THEN 'current' ELSE 'previous' END AS period,
               count(*) AS inspections
        FROM inspections i WHERE {" AND ".join(conditions)} GROUP BY ALL
        """,
        params,
    )


def top_sites(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, top: int) -> list[str]:
    """The `top` sites with the most matching findings, most first (ties by id): the bars of the site charts.

    Picked once for both charts from one total per site: each chart grouping every site by severity
    or checklist first cost three to four times as much at ten million findings.
    """
    where, params = _where(flt)
    params["top"] = top
    rows = cursor.execute(
        f"""SELECT f.site_id, count(*) AS total FROM findings f WHERE {where}
            GROUP BY ALL ORDER BY total DESC, f.site_id LIMIT $top""",
        params,
    ).fetchall()
    return [site for site, _ in rows]


def findings_by_site(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, language: str, sites: list[str]
) -> pd.DataFrame:
    """Findings per site and severity for `sites` (ranked as listed); the rest summed into site_id NULL."""
    where, params = _where(flt)
    params["sites"] = sites
    return _frame(
        cursor,
        f"""
        WITH {_names(language)},
        grouped AS (SELECT CASE WHEN list_contains($sites::VARCHAR[], f.site_id) THEN f.site_id END AS site_id,
                           f.severity, count(*) AS findings
                    FROM findings f WHERE {where} GROUP BY ALL)
        SELECT g.site_id, coalesce(s.site, g.site_id) AS site, g.severity, g.findings,
               coalesce(list_position($sites::VARCHAR[], g.site_id), len($sites::VARCHAR[]) + 1)::BIGINT AS rank
        FROM grouped g LEFT JOIN site_names s USING (site_id)
        ORDER BY rank, g.severity
        """,
        params,
    )


def findings_over_time(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, language: str, grain: str
) -> pd.DataFrame:
    """Findings per period (day, week or month) and checklist."""
    if grain not in GRAINS:
        raise ValueError(f"no time grain {grain!r}")
    where, params = _where(flt)
    return _frame(
        cursor,
        f"""
        WITH {_names(language)},
        grouped AS (SELECT date_trunc('{grain}', f.found_at)::DATE AS period, f.checklist_id, count(*) AS findings
                    FROM findings f WHERE {where} GROUP BY ALL)
        SELECT g.period, g.checklist_id, c.checklist, g.findings
        FROM grouped g LEFT JOIN checklist_names c USING (checklist_id)
        ORDER BY g.period, g.checklist_id
        """,
        params,
    )


def site_checklist_matrix(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, language: str, sites: list[str]
) -> pd.DataFrame:
    """Findings per site and checklist for `sites` (ranked as listed)."""
    where, params = _where(flt)
    params["sites"] = sites
    return _frame(
        cursor,
        f"""
        WITH {_names(language)},
        grouped AS (SELECT f.site_id, f.checklist_id, count(*) AS findings FROM findings f
                    WHERE {where} AND list_contains($sites::VARCHAR[], f.site_id) GROUP BY ALL)
        SELECT g.site_id, coalesce(s.site, g.site_id) AS site, g.checklist_id, c.checklist, g.findings,
               list_position($sites::VARCHAR[], g.site_id)::BIGINT AS rank
        FROM grouped g LEFT JOIN site_names s USING (site_id) LEFT JOIN checklist_names c USING (checklist_id)
        ORDER BY rank, g.checklist_id
        """,
        params,
    )


def status_ageing(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, today: date) -> pd.DataFrame:
    """Findings per status and deadline colour (none, blue, yellow, red, closed) as of today."""
    where, params = _where(flt)
    params["today"] = today
    return _frame(
        cursor,
        f"""
        SELECT f.status, {_ageing()} AS ageing, count(*) AS findings
        FROM findings f WHERE {where} GROUP BY ALL ORDER BY f.status, ageing
        """,
        params,
    )


def time_to_close(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter) -> pd.DataFrame:
    """Closed findings per bucket of days from found to closed (bucket i ends at CLOSE_DAY_BOUNDS[i])."""
    where, params = _where(flt)
    # Whole seconds against whole days' seconds: the same buckets as days with fractions, without a
    # division per finding.
    buckets = " ".join(f"WHEN seconds <= {bound * 86400} THEN {i}" for i, bound in enumerate(CLOSE_DAY_BOUNDS))
    return _frame(
        cursor,
        f"""
        SELECT CASE {buckets} ELSE {len(CLOSE_DAY_BOUNDS)} END AS bucket, count(*) AS findings
        FROM (SELECT date_diff('second', f.found_at, f.closed_at) AS seconds
              FROM findings f WHERE {where} AND f.status = 'closed' AND f.closed_at IS NOT NULL)
        GROUP BY ALL ORDER BY bucket
        """,
        params,
    )


def failing_items(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, language: str, top: int) -> pd.DataFrame:
    """The checklist items failed most often, with how many of those findings were repeats."""
    where, params = _where(flt)
    params["top"] = top
    return _frame(
        cursor,
        f"""
        WITH {_names(language)},
        grouped AS (SELECT f.checklist_id, f.item_id, count(*) AS findings,
                           count(*) FILTER (WHERE f.is_repeat) AS repeats
                    FROM findings f WHERE {where} AND f.item_id IS NOT NULL
                    GROUP BY ALL ORDER BY findings DESC, f.checklist_id, f.item_id LIMIT $top)
        SELECT g.checklist_id, c.checklist, g.item_id, coalesce(i.item, g.item_id) AS item, g.findings, g.repeats
        FROM grouped g LEFT JOIN checklist_names c USING (checklist_id)
                       LEFT JOIN item_names i USING (checklist_id, item_id)
        ORDER BY g.findings DESC, g.checklist_id, g.item_id
        """,
        params,
    )


def repeat_offenders(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, language: str, top: int) -> pd.DataFrame:
    """The site and checklist item pairs with the most repeat findings."""
    where, params = _where(flt)
    params["top"] = top
    return _frame(
        cursor,
        f"""
        WITH {_names(language)},
        grouped AS (SELECT f.site_id, f.checklist_id, f.item_id, count(*) AS repeats
                    FROM findings f WHERE {where} AND f.is_repeat
                    GROUP BY ALL ORDER BY repeats DESC, f.site_id, f.checklist_id, f.item_id LIMIT $top)
        SELECT g.site_id, coalesce(s.site, g.site_id) AS site, g.checklist_id, c.checklist,
               g.item_id, coalesce(i.item, g.item_id) AS item, g.repeats
        FROM grouped g LEFT JOIN site_names s USING (site_id) LEFT JOIN checklist_names c USING (checklist_id)
                       LEFT JOIN item_names i USING (checklist_id, item_id)
        ORDER BY g.repeats DESC, g.site_id, g.checklist_id, g.item_id
        """,
        params,
    )


def count_findings(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter) -> int:
    where, params = _where(flt)
    return cursor.execute(f"SELECT count(*) FROM findings f WHERE {where}", params).fetchone()[0]


def findings_page(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, language: str, today: date, limit: int, offset: int
) -> pd.DataFrame:
    """One page of the matching findings, newest first, named in one language."""
    where, params = _where(flt)
    params.update(today=today, limit=limit, offset=offset)
    return _frame(
        cursor,
        f"""
        WITH {_names(language)},
        page AS (SELECT f.id, f.number, f.found_at, f.site_id, f.checklist_id, f.item_id,
                        f.severity, f.status, f.deadline, f.responsible_unit, f.is_repeat, {_ageing()} AS ageing
                 FROM findings f WHERE {where}
                 ORDER BY f.found_at DESC, f.number DESC LIMIT $limit OFFSET $offset)
        SELECT p.id, p.number, p.found_at, coalesce(s.site, p.site_id) AS site, c.checklist,
               coalesce(i.item, p.item_id) AS item, p.severity, p.status, p.deadline,
               p.ageing, p.responsible_unit, p.is_repeat
        FROM page p LEFT JOIN site_names s USING (site_id) LEFT JOIN checklist_names c USING (checklist_id)
                    LEFT JOIN item_names i USING (checklist_id, item_id)
        ORDER BY p.found_at DESC, p.number DESC
        """,
        params,
    )


def site_directory(cursor: duckdb.DuckDBPyConnection, language: str, unit: str | None = None) -> pd.DataFrame:
    """Sites with the attributes the filters choose by (values in zh, labels in language).

    Given a unit, only its own: sites it is the unit of, and sites of findings it is responsible for.
    """
    lang = short(language)
    scope = """WHERE $unit IS NULL OR unit_zh = $unit
                  OR id IN (SELECT site_id FROM findings WHERE responsible_unit = $unit)"""
    return _frame(
        cursor,
        f"""
        SELECT id AS site_id, name_{lang} AS site, kind, subdistrict_zh AS subdistrict,
               subdistrict_{lang} AS subdistrict_label, community_zh AS community,
               community_{lang} AS community_label
        FROM sites {scope} ORDER BY subdistrict_zh, community_zh, name_{lang}
        """,
        {"unit": unit},
    )


def checklist_titles(cursor: duckdb.DuckDBPyConnection, language: str) -> pd.DataFrame:
    return _frame(cursor, f"WITH {_names(language)} SELECT * FROM checklist_names ORDER BY checklist_id", {})
