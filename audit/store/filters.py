"""A `FindingFilter` and the overdue rule in SQL, shared by the ledger, its exports and the dashboard.

Conditions are over `findings f` and reach sites and checklists through semi-joins on those
small tables, so a query adds no join for them. Values always travel as parameters.
"""

from __future__ import annotations

from datetime import date

from audit.model import OVERDUE_BANDS, FindingFilter, Overdue


def overdue_sql(today: str = "$today::DATE") -> str:
    """`audit.model.overdue_colour` as a CASE over `f`, from the same bands."""
    bands = " ".join(f"WHEN {today} - f.deadline >= {least} THEN '{colour.value}'" for colour, least in OVERDUE_BANDS)
    return f"CASE WHEN f.status = 'closed' OR f.deadline IS NULL THEN 'none' {bands} ELSE 'none' END"


def overdue_condition(today: str = "$today::DATE") -> str:
    """`f` is past its deadline and not closed: yellow or red."""
    return f"({overdue_sql(today)}) IN ('{Overdue.YELLOW.value}', '{Overdue.RED.value}')"


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


def finding_conditions(flt: FindingFilter, today: date | None = None) -> tuple[str, dict]:
    """WHERE clause over `findings f` and its parameters. Deadline colours count from `today`
    (the database's current date when not given)."""
    clauses, params = site_conditions(flt, "f.site_id")

    def add(clause: str, **values) -> None:
        clauses.append(clause)
        params.update(values)

    if flt.statuses:
        add("f.status IN (SELECT unnest($statuses))", statuses=[s.value for s in flt.statuses])
    if flt.colours:
        add(
            f"({overdue_sql('$today::DATE' if today else 'current_date')}) IN (SELECT unnest($colours))",
            colours=[c.value for c in flt.colours],
            **({"today": today} if today else {}),
        )
    if flt.severities:
        add("f.severity IN (SELECT unnest($severities))", severities=[s.value for s in flt.severities])
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
        add("(f.number ILIKE $search OR f.description ILIKE $search)", search=f"%{flt.search.strip()}%")
    return " AND ".join(clauses or ["true"]), params
