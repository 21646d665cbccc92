"""A `FindingFilter` and the overdue rule in SQL, shared by the ledger, its exports and the dashboard.

Conditions are over `findings f` and reach sites and checklists through semi-joins on those
small tables, so a query adds no join for them. Values always travel as parameters.
"""

from __future__ import annotations

from datetime import date

from audit.model import OVERDUE_BANDS, FindingFilter, Overdue
from audit.store.search_index import matching_keys, needs_numbers


def overdue_sql(today: str = "$today::DATE") -> str:
    """`audit.model.overdue_colour` as a CASE over `f`, from the same bands."""
    bands = " ".join(f"WHEN {deadline_at_most(today, least)} THEN '{colour.value}'" for colour, least in OVERDUE_BANDS)
    return f"CASE WHEN f.status = 'closed' OR f.deadline IS NULL THEN 'none' {bands} ELSE 'none' END"


def deadline_at_most(today: str, least: int) -> str:
    """`today - f.deadline >= least`, written as the deadline against a constant, which a scan can filter on."""
    return f"f.deadline <= {today} {'-' if least >= 0 else '+'} {abs(least)}"


def colour_condition(colour: Overdue, today: str = "$today::DATE") -> str:
    """`f` has this deadline colour, as plain tests of its status and deadline.

    The same rows as `overdue_sql(today) = colour`, but each test compares a column with a constant,
    so DuckDB filters in the scan instead of working out the colour of every finding.
    """
    if colour is Overdue.NONE:
        # Not coloured: closed, or no deadline, or not yet due soon.
        return f"(f.status = 'closed' OR f.deadline IS NULL OR NOT ({deadline_at_most(today, OVERDUE_BANDS[-1][1])}))"
    index = [band for band, _ in OVERDUE_BANDS].index(colour)
    tests = ["f.status <> 'closed'", deadline_at_most(today, OVERDUE_BANDS[index][1])]
    if index > 0:  # not in the worse band before it
        tests.append(f"NOT ({deadline_at_most(today, OVERDUE_BANDS[index - 1][1])})")
    return f"({' AND '.join(tests)})"


def coloured_condition(today: str = "$today::DATE") -> str:
    """`f` has a colour (blue, yellow or red): open in any way and due soon or past its deadline."""
    return f"(f.status <> 'closed' AND {deadline_at_most(today, OVERDUE_BANDS[-1][1])})"


def overdue_condition(today: str = "$today::DATE") -> str:
    """`f` is past its deadline and not closed: yellow or red."""
    return f"(f.status <> 'closed' AND {deadline_at_most(today, dict(OVERDUE_BANDS)[Overdue.YELLOW])})"


def site_conditions(flt: FindingFilter, column: str) -> tuple[list[str], dict]:
    """`column` (a site id) at a site with the filter's place, kind and site."""
    tests, params = [], {}
    for name, test in (
        ("subdistrict", "$subdistrict IN (subdistrict_zh, subdistrict_en)"),
        ("community", "$community IN (community_zh, community_en)"),
        ("site_kind", "kind = $site_kind"),
        ("site", "$site IN (id, code, name_zh, name_en)"),
    ):
        value = getattr(flt, name)
        if value:
            tests.append(test)
            params[name] = getattr(value, "value", value)
    if not tests:
        return [], {}
    return [f"{column} IN (SELECT id FROM sites WHERE {' AND '.join(tests)})"], params


def checklist_condition(column: str) -> str:
    """`column` (a checklist id) is the checklist named by $checklist: its id or a title in either language."""
    return (
        f"({column} = $checklist OR {column} IN (SELECT id FROM checklists WHERE $checklist IN (title_zh, title_en)))"
    )


def one_of(column: str, name: str, values: list[str]) -> tuple[str, dict]:
    """`column` is one of `values`, as a list of constants the scan filters on (a subquery would be a join)."""
    params = {f"{name}_{index}": value for index, value in enumerate(dict.fromkeys(values))}
    return f"{column} IN ({', '.join('$' + param for param in params)})", params


def finding_conditions(flt: FindingFilter, today: date | None = None) -> tuple[str, dict]:
    """WHERE clause over `findings f` and its parameters. Deadline colours count from `today`
    (the database's current date when not given)."""
    clauses, params = site_conditions(flt, "f.site_id")

    def add(clause: str, **values) -> None:
        clauses.append(clause)
        params.update(values)

    if flt.statuses:
        clause, values = one_of("f.status", "status", [s.value for s in flt.statuses])
        add(clause, **values)
    if flt.colours:
        day = "$today::DATE" if today else "current_date"
        # Fixed SQL for each colour asked for (there are four), so no colour is worked out per finding.
        add(
            f"({' OR '.join(colour_condition(Overdue(colour), day) for colour in dict.fromkeys(flt.colours))})",
            **({"today": today} if today else {}),
        )
    if flt.severities:
        clause, values = one_of("f.severity", "severity", [s.value for s in flt.severities])
        add(clause, **values)
    if flt.unit:
        add("f.responsible_unit = $unit", unit=flt.unit)
    if flt.checklist:
        add(f"({checklist_condition('f.checklist_id')} OR f.checklist_text = $checklist)", checklist=flt.checklist)
    if flt.found_from:
        add("f.found_at >= $found_from::DATE", found_from=flt.found_from)
    if flt.found_to:
        add("f.found_at < $found_to::DATE + 1", found_to=flt.found_to)
    if flt.repeats_only:
        clauses.append("f.is_repeat")
    if flt.origin in ("supervision", "self"):
        clauses.append("NOT f.self_reported" if flt.origin == "supervision" else "f.self_reported")
    if flt.search.strip():
        clause, values = search_condition(flt.search.strip())
        add(clause, **values)
    return " AND ".join(clauses or ["true"]), params


def search_condition(term: str, *, every_finding: bool = False) -> tuple[str, dict]:
    """`f`'s number or description holds `term`: the test and its parameters.

    The findings' texts are read through `search_index` (the distinct texts that pass the test);
    `every_finding` runs the test over every finding's own number and description instead, as the
    search did before, and so does a term with LIKE's wildcards, which character pairs cannot narrow.
    """
    wildcards = any(mark in term for mark in "%_\\")
    if term.lower() == term.upper() and not wildcards:
        # Words with no upper and lower case (Chinese, numbers) match the same way with or without
        # case; a plain substring test skips lowering every text, which ILIKE does beyond ASCII.
        test, params = "contains({column}, $search)", {"search": term}
    else:
        test, params = "{column} ILIKE $search", {"search": f"%{term}%"}
    if every_finding or wildcards:
        return f"({test.format(column='f.number')} OR {test.format(column='f.description')})", params
    texts = test.format(column="t.number") + " OR " + test.format(column="t.description")
    clauses = [f"f.search_key IN ({matching_keys(f'({texts})', len(term))})"]
    if needs_numbers(term):
        clauses.insert(0, test.format(column="f.number"))
    return f"({' OR '.join(clauses)})", params | {"search_term": term}
