"""What must hold across every process that writes: checked by `python -m audit check` on either backend.

A lake enforces no uniqueness itself; the app keeps it with guard rows updated in the writing
transaction (`backend.lake_ddl`). These queries find any value that was given twice anyway.
"""

from __future__ import annotations

import duckdb

from audit.store import ledger_counts, search_index, verification_queue

# (what, the query giving one row per value that occurs more than once: value, count)
_DUPLICATES = (
    ("account username", "SELECT lower(username), count(*) FROM users GROUP BY 1 HAVING count(*) > 1"),
    ("account id", "SELECT id, count(*) FROM users GROUP BY 1 HAVING count(*) > 1"),
    ("finding number", "SELECT number, count(*) FROM findings GROUP BY 1 HAVING count(*) > 1"),
    ("finding id", "SELECT id, count(*) FROM findings GROUP BY 1 HAVING count(*) > 1"),
    ("inspection id", "SELECT id, count(*) FROM inspections GROUP BY 1 HAVING count(*) > 1"),
    ("audit log entry", "SELECT seq::VARCHAR, count(*) FROM audit_log GROUP BY 1 HAVING count(*) > 1"),
    ("task", "SELECT id, count(*) FROM tasks GROUP BY 1 HAVING count(*) > 1"),
    ("guard row", "SELECT name, count(*) FROM sequences GROUP BY 1 HAVING count(*) > 1"),
    (
        "bulletin number",
        "SELECT kind || ' ' || year || '-' || number, count(*) FROM bulletins WHERE number IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1",
    ),
)


def problems(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    """Every broken invariant in words; empty when all hold."""
    found = [
        f"{what} {value} occurs {count} times"
        for what, query in _DUPLICATES
        for value, count in cursor.execute(query).fetchall()
    ]
    gaps = cursor.execute("SELECT count(*), coalesce(max(seq), 0), count(DISTINCT seq) FROM audit_log").fetchone()
    if gaps[1] != gaps[2]:
        found.append(f"audit log entries are missing: {gaps[2]} distinct entries numbered up to {gaps[1]}")
    behind = cursor.execute(
        """
        SELECT s.name, s.value, max(CAST(split_part(f.number, '-', 2) AS BIGINT))
        FROM findings f JOIN sequences s ON s.name = 'finding-' || split_part(f.number, '-', 1)
        WHERE regexp_matches(f.number, '^[0-9]{4}-[0-9]+$')
        GROUP BY s.name, s.value HAVING max(CAST(split_part(f.number, '-', 2) AS BIGINT)) > s.value
        """
    ).fetchall()
    found += [
        f"guard row {name} is at {value} but finding number {highest} was given" for name, value, highest in behind
    ]
    differing, examples = verification_queue.drift(cursor)
    if differing:
        found.append(
            f"the queue of fixes awaiting verification differs for {differing} findings "
            f"( {', '.join(examples)}); `python -m audit check --repair` makes it again from them"
        )
    search = search_index.drift(cursor)
    if any(search.values()):
        found.append(
            f"the search's distinct texts differ from the findings ({search['keys']} findings with a wrong "
            f"key, {search['texts']} texts and {search['grams']} character pairs missing or extra); "
            "`python -m audit check --repair` makes them again"
        )
    counts = ledger_counts.drift(cursor)
    if counts:
        found.append(
            f"the ledger's counts of findings differ from the findings for {counts} combinations of deadline, "
            "status, severity, checklist, repeat and origin; `python -m audit check --repair` makes them again"
        )
    return found


def finding_numbers(cursor: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every finding's number by id: what a check of acknowledged writes compares against."""
    return dict(cursor.execute("SELECT id, number FROM findings").fetchall())
