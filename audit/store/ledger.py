"""The rectification ledger in SQL: filters, pages, the export query, and what an import is matched against.

Everything a ledger row shows is computed here, in DuckDB, including the overdue colour,
so the page, the exports and the counts always agree. Filters and sort keys are turned
into SQL from fixed pieces only; user values always travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date

import duckdb
import pyarrow as pa

from audit.i18n import short
from audit.model import OVERDUE_BANDS, FindingFilter, LedgerRow, Overdue, Severity, Status
from audit.store import ledger_counts
from audit.store.filters import colour_condition, coloured_condition, deadline_at_most, finding_conditions, overdue_sql

OVERDUE_SQL = overdue_sql()

_CTES = """
chk AS (
    SELECT id, content_hash, title_zh, title_en, content,
           row_number() OVER (PARTITION BY id ORDER BY version DESC, first_seen DESC) AS newest
    FROM checklists
), items AS (
    SELECT id AS checklist_id, content_hash, item->>'id' AS item_id,
           item->>'$.text.zh' AS item_zh, item->>'$.text.en' AS item_en
    FROM (SELECT id, content_hash, unnest(json_extract(content, '$.sections[*].items[*]')) AS item FROM chk)
), people AS (
    SELECT username, any_value(display_name) AS display_name FROM users GROUP BY username
)
"""
_SOURCES = f"WITH {_CTES}"


def _sources_for(ids_param: str) -> str:
    """The sources with `page`: the findings named in a list parameter, with their own sites and inspections.

    `_page_keys` gives the parameters. Each is read by its ids (an index lookup for findings and
    inspections; the lake, which has no indexes, filters its scan on them), so a page never joins
    the whole sites or inspections table for its 50 rows.
    """
    return (
        f"WITH page AS MATERIALIZED (SELECT * FROM findings WHERE id = ANY(${ids_param})), "
        "page_sites AS (SELECT * FROM sites WHERE id = ANY($page_site_ids)), "
        "page_inspections AS (SELECT * FROM inspections WHERE id = ANY($page_inspection_ids)), "
        f"{_CTES}"
    )


# Ids looked up at a time. DuckDB reads a list of at most 50 (its dynamic_or_filter_threshold) through
# the index; a longer one is matched by scanning the whole id column, about half a second at 10 million.
LOOKUP_BATCH = 50


def _page_keys(cursor: duckdb.DuckDBPyConnection, ids: list[str]) -> dict:
    """The parameters of `_sources_for('ids')`: the ids, and the sites and inspections of those findings."""
    sites, inspections = cursor.execute(
        "SELECT coalesce(list(DISTINCT site_id), []), coalesce(list(DISTINCT inspection_id), []) "
        "FROM findings WHERE id = ANY($ids)",
        {"ids": ids},
    ).fetchone()
    return {"ids": ids, "page_site_ids": sites, "page_inspection_ids": inspections}


# Each join with the alias it brings; a query takes only those it refers to, so a count
# or a page that needs no checklist words does not pay for them.
_JOINS = (
    ("s", "LEFT JOIN {sites} s ON s.id = f.site_id"),
    (
        "chk",
        "LEFT JOIN {inspections} i ON i.id = f.inspection_id "
        "LEFT JOIN chk ON chk.id = f.checklist_id "
        "AND ((i.checklist_hash IS NOT NULL AND chk.content_hash = i.checklist_hash) "
        "OR (i.checklist_hash IS NULL AND chk.newest = 1))",
    ),
    (
        "ci",
        "LEFT JOIN items ci ON ci.checklist_id = f.checklist_id AND ci.content_hash = chk.content_hash "
        "AND ci.item_id = f.item_id",
    ),
    ("pi", "LEFT JOIN people pi ON pi.username = f.inspector"),
    ("pv", "LEFT JOIN people pv ON pv.username = f.verifier"),
)


def _from(*sql: str, findings: str = "findings f", inspections: str | None = None) -> str:
    """FROM findings with the joins whose aliases the given SQL uses (items need their checklist).

    From `page f` (see `_sources_for`), sites and inspections are those of the page's findings;
    `inspections` names another source of them.
    """
    text = " ".join(sql)
    used = {alias for alias, _ in _JOINS if re.search(rf"\b{alias}\.", text)}
    if "ci" in used:
        used.add("chk")
    page = findings.startswith("page ")
    tables = {
        "sites": "page_sites" if page else "sites",
        "inspections": inspections or ("page_inspections" if page else "inspections"),
    }
    return f"FROM {findings} " + " ".join(join.format(**tables) for alias, join in _JOINS if alias in used)


# The ranks the severity and status sorts give each value; any other value takes the last one.
RANKS = {
    "severity": ("f.severity", {"critical": 3, "major": 2}, 1),
    "status": ("f.status", {"open": 1, "reopened": 2, "awaiting_verification": 3}, 4),
}
# Deadline colours ranked from the worst (red) down; 'none' ranks 1.
OVERDUE_RANKS = {colour: len(OVERDUE_BANDS) + 1 - index for index, (colour, _) in enumerate(OVERDUE_BANDS)}


def _rank_sql(column: str, ranks: dict[str, int], other: int) -> str:
    return (
        f"CASE {column} "
        + " ".join(f"WHEN '{value}' THEN {rank}" for value, rank in ranks.items())
        + f" ELSE {other} END"
    )


def _overdue_rank_sql() -> str:
    """The colour's rank straight from the status and deadline, as `overdue_sql` decides the colour."""
    bands = " ".join(
        f"WHEN {deadline_at_most('$today::DATE', least)} THEN {OVERDUE_RANKS[colour]}"
        for colour, least in OVERDUE_BANDS
    )
    return f"CASE WHEN f.status = 'closed' OR f.deadline IS NULL THEN 1 {bands} ELSE 1 END"


# Sort keys as SQL; only the chosen one goes through the sort, with the tie-breakers.
SORTS = {
    "number": "f.number",
    "found_at": "f.found_at",
    "deadline": "f.deadline",
    "site": "s.name_zh",
    "unit": "f.responsible_unit",
    "severity": _rank_sql(*RANKS["severity"]),
    "status": _rank_sql(*RANKS["status"]),
    "overdue": _overdue_rank_sql(),
}


def _run(cursor: duckdb.DuckDBPyConnection, sql: str, params: dict) -> duckdb.DuckDBPyConnection:
    """Execute with only the parameters the SQL names: DuckDB refuses unused ones."""
    return cursor.execute(sql, {name: value for name, value in params.items() if re.search(rf"\${name}\b", sql)})


def _where(flt: FindingFilter, today: date) -> tuple[str, dict]:
    where, params = finding_conditions(flt, today)
    return where, params | {"today": today}


def _sorted(
    select: str, where: str, sort: str, descending: bool, *, sources: str = _SOURCES, inspections: str | None = None
) -> str:
    """`select` over the ledger sources, filtered by `where`, ordered by a key from SORTS.

    A sort expression the SELECT already has (`f.number AS "number"`) is ordered by its
    column rather than carried through the sort a second time: an export sorts every row.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    direction = "DESC" if descending else "ASC"
    keys = ((SORTS[sort], f" {direction} NULLS LAST"), ("f.deadline", ""), ("f.number", ""), ("f.id", ""))
    columns, hidden, order = [select], [], []
    for index, (expression, suffix) in enumerate(keys):
        selected = re.search(rf'(?:^|, ){re.escape(expression)} AS "(\w+)"(?=,|$)', select)
        name = f'"{selected.group(1)}"' if selected else f"_key{index}"
        if not selected:
            columns.append(f"{expression} AS {name}")
            hidden.append(name)
        order.append(name + suffix)
    outer = f"* EXCLUDE ({', '.join(hidden)})" if hidden else "*"
    inner = ", ".join(columns)
    return (
        f"{sources} SELECT {outer} FROM (SELECT {inner} {_from(select, where, SORTS[sort], inspections=inspections)} "
        f"WHERE {where}) "
        f"ORDER BY {', '.join(order)}"
    )


def count_findings(cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, today: date) -> int:
    where, params = _where(flt, today)
    return _run(cursor, f"{_SOURCES} SELECT count(*) {_from(where)} WHERE {where}", params).fetchone()[0]


# Sorts whose first key takes few values and whose next key is the deadline. Rows of one (key, deadline)
# group are ordered by number and id only, so a page is found from the count of rows per group and then
# sorted among the rows of its own few groups: no page, the first or page 10,000, carries the number and
# id of every finding through a sort. The counts read only plain columns (each colour is a range of
# deadlines), and their sum is the page's total. Plain DuckDB needs no index for this, so the DuckLake
# backend pages the same way.
BUCKETED = ("overdue", "deadline", "severity", "status")
Bucket = tuple[str, dict, object, int]  # (condition, its parameters, deadline, rows), one group of the sort


def buckets(
    cursor: duckdb.DuckDBPyConnection,
    where: str,
    params: dict,
    sort: str,
    descending: bool,
    today: date,
    *,
    from_counts: bool = False,
) -> list[Bucket] | None:
    """The groups of the sort in page order, with the condition picking each group's rows beside its
    deadline; None when the sort is not one of BUCKETED or a group has no deadline or key.

    `from_counts`: `where` tests only columns that `ledger_counts` keeps, so its rows are counted instead.
    """
    if sort not in BUCKETED:
        return None
    direction = -1 if descending else 1
    source, rows_sql, having = "findings f", "count(*)", ""
    if from_counts:
        source, rows_sql, having = "ledger_counts f", "sum(f.findings)", " HAVING sum(f.findings) > 0"
    groups: list[tuple[int, object, str, dict, int]] = []  # (rank, deadline, condition, parameters, rows)
    if sort == "deadline":
        counted = _run(
            cursor, f"SELECT f.deadline, {rows_sql} FROM {source} WHERE {where} GROUP BY ALL{having}", params
        )
        groups = [(0, day, "true", {}, rows) for day, rows in counted.fetchall()]
    elif sort == "overdue":
        # The coloured findings of a day all have the colour of its deadline; the rest of the day has none.
        # One scan counts both: a filter that is dear to test (a search, a place) is tested once.
        counted = _run(
            cursor,
            f"SELECT f.deadline, {rows_sql}, coalesce({rows_sql} FILTER (WHERE {coloured_condition()}), 0) "
            f"FROM {source} WHERE {where} GROUP BY ALL{having}",
            params,
        ).fetchall()
        for day, rows, coloured in counted:
            if day is None:
                return None
            if coloured:
                colour = next(c for c, least in OVERDUE_BANDS if (today - day).days >= least)
                groups.append((OVERDUE_RANKS[colour], day, colour_condition(colour), {}, coloured))
            if rows - coloured:
                groups.append((1, day, colour_condition(Overdue.NONE), {}, rows - coloured))
    else:
        column, ranks, other = RANKS[sort]
        counted = _run(
            cursor, f"SELECT {column}, f.deadline, {rows_sql} FROM {source} WHERE {where} GROUP BY ALL{having}", params
        ).fetchall()
        if any(value is None for value, _, _ in counted):
            return None
        values: dict[int, set] = {}
        merged: dict[tuple[int, object], int] = {}
        for value, day, rows in counted:
            rank = ranks.get(value, other)
            values.setdefault(rank, set()).add(value)
            merged[rank, day] = merged.get((rank, day), 0) + rows
        condition = f"{column} IN (SELECT unnest($bucket_values))"
        groups = [
            (rank, day, condition, {"bucket_values": sorted(values[rank])}, rows)
            for (rank, day), rows in merged.items()
        ]
    if any(day is None for _, day, _, _, _ in groups):
        return None
    if sort == "deadline":
        groups.sort(key=lambda group: direction * group[1].toordinal())
    else:
        groups.sort(key=lambda group: (direction * group[0], group[1]))
    return [(condition, values, day, rows) for _, day, condition, values, rows in groups]


def page_ids(
    cursor: duckdb.DuckDBPyConnection,
    where: str,
    params: dict,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
    groups: list[Bucket] | None = None,
    from_counts: bool = False,
) -> list[str]:
    """The ids of one page in the sort's order: exactly those of `offset_ids`, found from the sort's
    `buckets` (given, or counted now) so that only the rows of the page's own groups are sorted."""
    if groups is None:
        groups = buckets(cursor, where, params, sort, descending, params["today"], from_counts=from_counts)
    if groups is None:
        return offset_ids(cursor, where, params, sort, descending, limit, offset)
    # Runs of neighbouring groups with one condition: each run's rows are that condition over a range of deadlines.
    runs: list[list] = []  # [condition, parameters, days, rows to skip in the run]
    position = 0
    for condition, values, day, rows in groups:
        start, position = position, position + rows
        if position <= offset:
            continue
        if start >= offset + limit:
            break
        if runs and runs[-1][0] == condition and runs[-1][1] == values:
            runs[-1][2].append(day)
        else:
            runs.append([condition, values, [day], max(0, offset - start)])
    if not runs:
        return []
    # All runs in one query, so a filter that is dear to test (a search, a place) is tested in one scan;
    # the deadlines of all of them bound it first, which the scan filters on.
    tests, bounds = [], {"low_d": min(min(run[2]) for run in runs), "high_d": max(max(run[2]) for run in runs)}
    for index, (condition, values, days, _) in enumerate(runs):
        for name, value in values.items():
            condition = re.sub(rf"\${name}\b", f"${name}_{index}", condition)
            bounds[f"{name}_{index}"] = value
        tests.append(f"({condition} AND f.deadline BETWEEN $low_{index} AND $high_{index})")
        bounds |= {f"low_{index}": min(days), f"high_{index}": max(days)}
    within = f"{where} AND f.deadline BETWEEN $low_d AND $high_d AND ({' OR '.join(tests)})"
    return offset_ids(cursor, within, params | bounds, sort, descending, limit, runs[0][3])


def offset_ids(
    cursor: duckdb.DuckDBPyConnection, where: str, params: dict, sort: str, descending: bool, limit: int, offset: int
) -> list[str]:
    """The ids of one page, sorted in full and cut with OFFSET."""
    return [
        row[0]
        for row in _run(
            cursor,
            _sorted("f.id", where, sort, descending) + " LIMIT $limit OFFSET $offset",
            params | {"limit": limit, "offset": offset},
        ).fetchall()
    ]


def ledger_page(
    cursor: duckdb.DuckDBPyConnection,
    flt: FindingFilter,
    today: date,
    *,
    language: str,
    sort: str = "deadline",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[LedgerRow]:
    """One page of rows, sorted and cut in SQL: the whole ledger never leaves the database."""
    where, params = _where(flt, today)
    ids = page_ids(cursor, where, params, sort, descending, limit, offset, from_counts=ledger_counts.covers(flt))
    return _rows(cursor, ids, today, language)


def ledger_slice(
    cursor: duckdb.DuckDBPyConnection,
    flt: FindingFilter,
    today: date,
    *,
    language: str,
    sort: str = "deadline",
    descending: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[LedgerRow], int, int]:
    """Page `page` (kept within the pages there are), the rows in all, and the page shown.

    For a BUCKETED sort the counts that find the page also give the total, so the filter is
    counted once.
    """
    where, params = _where(flt, today)
    groups = buckets(cursor, where, params, sort, descending, today, from_counts=ledger_counts.covers(flt))
    total = sum(group[3] for group in groups) if groups is not None else count_findings(cursor, flt, today)
    page = min(max(1, page), max(1, -(-total // page_size)))
    offset = (page - 1) * page_size
    ids = page_ids(cursor, where, params, sort, descending, page_size, offset, groups)
    return _rows(cursor, ids, today, language), total, page


def _rows(cursor: duckdb.DuckDBPyConnection, ids: list[str], today: date, language: str) -> list[LedgerRow]:
    """The ledger rows of these findings, in this order."""
    if not ids:
        return []
    lang = short(language)
    select = (
        f"f.id, f.number, f.found_at, s.name_{lang}, s.unit_{lang}, "
        f"coalesce(chk.title_{lang}, f.checklist_text, f.checklist_id), "
        f"coalesce(ci.item_{lang}, f.item_text, f.item_id), f.description, f.severity, f.responsible_unit, "
        f"f.responsible_person, f.deadline, f.status, {OVERDUE_SQL}, f.is_repeat"
    )
    found = []
    for start in range(0, len(ids), LOOKUP_BATCH):
        found += _run(
            cursor,
            f"{_sources_for('ids')} SELECT {select} {_from(select, findings='page f')}",
            _page_keys(cursor, ids[start : start + LOOKUP_BATCH]) | {"today": today},
        ).fetchall()
    position = {finding_id: index for index, finding_id in enumerate(ids)}
    rows = sorted(found, key=lambda row: position[row[0]])
    return [
        LedgerRow(*row[:8], Severity(row[8]), row[9], row[10], row[11], Status(row[12]), Overdue(row[13]), row[14])
        for row in rows
    ]


# --- the export query: one SQL expression per ledger column -------------------------------


def _export_expressions(lang: str) -> dict[str, str]:
    return {
        "number": "f.number",
        "finding_id": "f.id",
        "found_at": "date_trunc('minute', f.found_at)",
        "site": f"s.name_{lang}",
        "site_unit": f"nullif(s.unit_{lang}, '')",
        "checklist": f"coalesce(chk.title_{lang}, f.checklist_text, f.checklist_id)",
        "item": f"coalesce(ci.item_{lang}, f.item_text, f.item_id)",
        "description": "f.description",
        "severity": "CASE f.severity "
        + " ".join(f"WHEN '{s.value}' THEN $label_severity_{s.value}" for s in Severity)
        + " END",
        "responsible_unit": "f.responsible_unit",
        "responsible_person": "nullif(f.responsible_person, '')",
        "requirement": "nullif(f.requirement, '')",
        "deadline": "f.deadline",
        "status": "CASE f.status "
        + " ".join(f"WHEN '{s.value}' THEN $label_status_{s.value}" for s in Status)
        + " END",
        "fix_report": "nullif(f.fix_report, '')",
        "closed_on": "f.closed_at::DATE",
        "inspector": "coalesce(pi.display_name, f.inspector)",
        "verifier": "coalesce(pv.display_name, f.verifier)",
    }


EXPORT_FIELDS = tuple(_export_expressions("zh"))


def _export_select(language: str, fields: tuple[str, ...], labels: Mapping[str, str]) -> tuple[str, dict]:
    """The SELECT list of the export columns, and the parameters carrying the status and severity words."""
    expressions = _export_expressions(short(language))
    select = ", ".join(f'{expressions[name]} AS "{name}"' for name in fields)
    params = {}
    for kind, members in (("status", Status), ("severity", Severity)):
        if kind in fields:
            params |= {f"label_{kind}_{m.value}": labels[f"{kind}.{m.value}"] for m in members}
    return select, params


def _export_sql(
    flt: FindingFilter,
    today: date,
    language: str,
    fields: tuple[str, ...],
    labels: Mapping[str, str],
    sort: str,
    descending: bool,
) -> tuple[str, dict]:
    select, params = _export_select(language, fields, labels)
    where, filter_params = _where(flt, today)
    return _sorted(select, where, sort, descending), params | filter_params


def export_query(
    cursor: duckdb.DuckDBPyConnection,
    flt: FindingFilter,
    today: date,
    *,
    language: str,
    fields: tuple[str, ...],
    labels: Mapping[str, str],
    sort: str = "number",
    descending: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Run the ledger query for export; the caller streams the result (fetchmany or record batches).

    `labels` gives the words for each status and severity in the export's language,
    keyed 'status.open', 'severity.major' and so on.
    """
    sql, params = _export_sql(flt, today, language, fields, labels, sort, descending)
    return _run(cursor, sql, params)


# An export of at most this many rows looks its findings' inspections up by id, LOOKUP_BATCH at a time,
# instead of joining the whole inspections table (a scan of it, about a second at 10 million findings,
# for a unit's few hundred rows).
SMALL_EXPORT = 5_000


def export_rows(
    cursor: duckdb.DuckDBPyConnection,
    flt: FindingFilter,
    today: date,
    *,
    language: str,
    fields: tuple[str, ...],
    labels: Mapping[str, str],
    sort: str = "number",
    descending: bool = False,
    batch_rows: int,
) -> tuple[int, Iterator[pa.RecordBatch]]:
    """How many rows the export has, and its rows as Arrow batches in the ledger's order.

    Run both in one snapshot (`Database.read(snapshot=True)`) for the count to be that of the rows.
    """
    where, params = _where(flt, today)
    total, inspection_ids = _run(
        cursor,
        "SELECT count(*), coalesce(list(DISTINCT inspection_id) FILTER (WHERE inspection_id IS NOT NULL), []) "
        f"FROM (SELECT f.inspection_id FROM findings f WHERE {where} LIMIT {SMALL_EXPORT + 1})",
        params,
    ).fetchone()
    if total > SMALL_EXPORT:
        total = count_findings(cursor, flt, today)
        result = export_query(
            cursor, flt, today, language=language, fields=fields, labels=labels, sort=sort, descending=descending
        )
        return total, iter(result.to_arrow_reader(batch_rows))
    hashes: dict[str, str] = {}
    for start in range(0, len(inspection_ids), LOOKUP_BATCH):
        hashes.update(
            cursor.execute(
                "SELECT id, checklist_hash FROM inspections WHERE id = ANY($ids)",
                {"ids": inspection_ids[start : start + LOOKUP_BATCH]},
            ).fetchall()
        )
    select, labelled = _export_select(language, fields, labels)
    sources = (
        "WITH listed_inspections AS (SELECT unnest($inspection_ids::VARCHAR[]) AS id, "
        f"unnest($checklist_hashes::VARCHAR[]) AS checklist_hash), {_CTES}"
    )
    sql = _sorted(select, where, sort, descending, sources=sources, inspections="listed_inspections")
    listed = {"inspection_ids": list(hashes), "checklist_hashes": list(hashes.values())}
    return total, iter(_run(cursor, sql, params | labelled | listed).to_arrow_reader(batch_rows))


def copy_export_to_csv(
    cursor: duckdb.DuckDBPyConnection,
    flt: FindingFilter,
    today: date,
    path: str,
    *,
    language: str,
    fields: tuple[str, ...],
    labels: Mapping[str, str],
) -> None:
    """DuckDB's own COPY of the export query: the yardstick the CSV export is measured against."""
    sql, params = _export_sql(flt, today, language, fields, labels, "number", False)
    quoted = path.replace("'", "''")
    _run(cursor, f"COPY ({sql}) TO '{quoted}' (HEADER, DELIMITER ',')", params)


# --- small look-ups for pages and the life cycle ---------------------------------------


def display_names(cursor: duckdb.DuckDBPyConnection, usernames: list[str]) -> dict[str, str]:
    """username -> display name for those that are accounts; others are names as written."""
    rows = cursor.execute(
        "SELECT username, any_value(display_name) FROM users WHERE username IN (SELECT unnest($names)) "
        "GROUP BY username",
        {"names": [name for name in usernames if name]},
    ).fetchall()
    return dict(rows)


def filter_options(cursor: duckdb.DuckDBPyConnection, language: str, unit: str | None = None) -> dict[str, list]:
    """(value, label) pairs for each ledger filter, from the findings that exist (of one unit if given)."""
    lang = short(language)
    scope = "WHERE f.responsible_unit = $unit" if unit is not None else ""
    params = {"unit": unit} if unit is not None else {}

    def pairs(value: str, label: str, source: str) -> str:
        return (
            f"SELECT DISTINCT {value} AS v, {label} AS l {source} "
            "QUALIFY v IS NOT NULL AND row_number() OVER (PARTITION BY v ORDER BY l) = 1"
        )

    # The places come from the sites the findings are at, found once: joining every finding to its
    # site for each list read the whole ledger three times.
    places = {
        "subdistrict": ("subdistrict_zh", f"subdistrict_{lang}"),
        "community": ("community_zh", f"community_{lang}"),
        "site": ("id", f"name_{lang}"),
    }
    rows = _run(
        cursor,
        "WITH used AS MATERIALIZED (SELECT * FROM sites WHERE id IN (SELECT f.site_id FROM findings f "
        f"{scope})) "
        + " UNION ALL ".join(
            f"SELECT '{name}' AS list, * FROM ({pairs(value, label, 'FROM used')})"
            for name, (value, label) in places.items()
        )
        + " ORDER BY list, l",
        params,
    ).fetchall()
    options: dict[str, list] = {name: [] for name in places}
    for name, value, label in rows:
        options[name].append((value, label))

    def findings_pairs(value: str, label: str) -> list[tuple[str, str]]:
        return _run(
            cursor, f"{_SOURCES} {pairs(value, label, f'{_from(value, label)} {scope}')} ORDER BY l", params
        ).fetchall()

    return options | {
        "unit": findings_pairs("f.responsible_unit", "f.responsible_unit"),
        "checklist": findings_pairs(
            "coalesce(f.checklist_id, f.checklist_text)",
            f"coalesce(chk.title_{lang}, f.checklist_text, f.checklist_id)",
        ),
    }


def site_of(cursor: duckdb.DuckDBPyConnection, site_id: str, language: str) -> dict | None:
    lang = short(language)
    result = cursor.execute(
        f"SELECT name_{lang} AS name, unit_{lang} AS unit, subdistrict_{lang} AS subdistrict, "
        f"community_{lang} AS community, kind FROM sites WHERE id = ? LIMIT 1",
        [site_id],
    )
    row = result.fetchone()
    return dict(zip([d[0] for d in result.description], row)) if row else None


def checklist_words(cursor: duckdb.DuckDBPyConnection, finding_id: str, language: str) -> tuple[str | None, str | None]:
    """The checklist title and item text of one finding, in the version it was found against."""
    lang = short(language)
    row = cursor.execute(
        f"{_sources_for('ids')} SELECT coalesce(chk.title_{lang}, f.checklist_text, f.checklist_id), "
        f"coalesce(ci.item_{lang}, f.item_text, f.item_id) {_from('ci.', findings='page f')}",
        _page_keys(cursor, [finding_id]),
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


# --- what an imported ledger is matched against ---------------------------------------


def existing_findings(cursor: duckdb.DuckDBPyConnection, numbers: list[str], ids: list[str]) -> tuple[set, set]:
    """Which of these numbers and ids the database already holds."""
    found_numbers = cursor.execute(
        "SELECT DISTINCT number FROM findings WHERE number IN (SELECT unnest($numbers))", {"numbers": numbers}
    ).fetchall()
    found_ids = cursor.execute(
        "SELECT DISTINCT id FROM findings WHERE id IN (SELECT unnest($ids))", {"ids": ids}
    ).fetchall()
    return {row[0] for row in found_numbers}, {row[0] for row in found_ids}


def checklist_words_index(cursor: duckdb.DuckDBPyConnection) -> dict[tuple, tuple[str, str | None]]:
    """(checklist title, item text) and (checklist title, None), in either language -> (checklist id, item id)."""
    rows = cursor.execute(
        f"{_SOURCES} SELECT chk.title_zh, chk.title_en, chk.id, ci.item_id, ci.item_zh, ci.item_en "
        "FROM chk LEFT JOIN items ci ON ci.checklist_id = chk.id AND ci.content_hash = chk.content_hash "
        "WHERE chk.newest = 1"
    ).fetchall()
    index: dict[tuple, tuple[str, str | None]] = {}
    for title_zh, title_en, checklist_id, item_id, item_zh, item_en in rows:
        for title in (title_zh, title_en):
            index[(title, None)] = (checklist_id, None)
            for text in (item_zh, item_en):
                if item_id:
                    index[(title, text)] = (checklist_id, item_id)
    return index


def set_source_words(
    cursor: duckdb.DuckDBPyConnection, finding_id: str, checklist: str | None, item: str | None
) -> None:
    before = ledger_counts.of_finding(cursor, finding_id)
    cursor.execute("UPDATE findings SET checklist_text = ?, item_text = ? WHERE id = ?", [checklist, item, finding_id])
    ledger_counts.moved(cursor, before, ledger_counts.of_finding(cursor, finding_id))
