"""Plans, the tasks they yield day by day, and coverage: tasks due against inspections made."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from audit.model import FindingFilter, Plan, parse_recurrence
from audit.store.filters import checklist_condition, site_conditions

COLUMNS = (
    "id",
    "name",
    "checklist_ids",
    "site_codes",
    "site_kind",
    "subdistrict",
    "team",
    "self_inspection",
    "recurrence",
    "start_day",
    "end_day",
    "active",
    "made_through",
    "created_by",
    "created_at",
    "version",
    "updated_at",
    "updated_by",
)


def insert_plan(cursor: duckdb.DuckDBPyConnection, plan: Plan, now: datetime) -> None:
    cursor.execute(
        f"INSERT INTO plans ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
        [
            plan.id,
            plan.name,
            list(plan.checklist_ids),
            list(plan.site_codes),
            plan.site_kind,
            plan.subdistrict,
            list(plan.team),
            plan.self_inspection,
            plan.recurrence.text,
            plan.start,
            plan.end,
            plan.active,
            None,
            plan.created_by,
            now,
            plan.version,
            now,
            plan.created_by,
        ],
    )


def _plan(row: tuple) -> Plan:
    r = dict(zip(COLUMNS, row, strict=True))
    return Plan(
        id=r["id"],
        name=r["name"],
        checklist_ids=tuple(r["checklist_ids"]),
        site_codes=tuple(r["site_codes"]),
        site_kind=r["site_kind"],
        subdistrict=r["subdistrict"],
        team=tuple(r["team"]),
        self_inspection=r["self_inspection"],
        recurrence=parse_recurrence(r["recurrence"]),
        start=r["start_day"],
        end=r["end_day"],
        created_by=r["created_by"],
        active=r["active"],
        version=r["version"],
    )


def plans(cursor: duckdb.DuckDBPyConnection, *, active_only: bool = False) -> list[Plan]:
    rows = cursor.execute(
        f"SELECT {', '.join(COLUMNS)} FROM plans WHERE active OR NOT $active ORDER BY created_at DESC",
        {"active": active_only},
    ).fetchall()
    return [_plan(row) for row in rows]


def get_plan(cursor: duckdb.DuckDBPyConnection, plan_id: str) -> Plan | None:
    row = cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM plans WHERE id = ?", [plan_id]).fetchone()
    return _plan(row) if row else None


def made_through(cursor: duckdb.DuckDBPyConnection, plan_id: str) -> date | None:
    row = cursor.execute("SELECT made_through FROM plans WHERE id = ?", [plan_id]).fetchone()
    return row[0] if row else None


def set_made_through(cursor: duckdb.DuckDBPyConnection, plan_id: str, day: date) -> None:
    cursor.execute("UPDATE plans SET made_through = ? WHERE id = ?", [day, plan_id])


def set_active(
    cursor: duckdb.DuckDBPyConnection, plan_id: str, active: bool, version: int, now: datetime, by: str
) -> bool:
    return bool(
        cursor.execute(
            "UPDATE plans SET active = ?, version = version + 1, updated_at = ?, updated_by = ? "
            "WHERE id = ? AND version = ? RETURNING id",
            [active, now, by, plan_id, version],
        ).fetchall()
    )


_PLAN_SITES = """
    SELECT s.id FROM sites s
    WHERE s.active AND (list_contains($codes, s.code)
        OR (($kind IS NOT NULL OR $subdistrict IS NOT NULL)
            AND ($kind IS NULL OR s.kind = $kind)
            AND ($subdistrict IS NULL OR s.subdistrict_zh = $subdistrict OR s.subdistrict_en = $subdistrict)))
"""


def plan_site_count(
    cursor: duckdb.DuckDBPyConnection, codes: list[str], kind: str | None, subdistrict: str | None
) -> int:
    return cursor.execute(
        f"SELECT count(*) FROM ({_PLAN_SITES})", {"codes": codes, "kind": kind, "subdistrict": subdistrict}
    ).fetchone()[0]


def make_tasks(cursor: duckdb.DuckDBPyConnection, plan: Plan, days: list[date], now: datetime) -> int:
    """Tasks of `plan` on `days` for the sites and checklists in force now; returns those added."""
    if not days:
        return 0
    params = {
        "codes": list(plan.site_codes),
        "kind": plan.site_kind,
        "subdistrict": plan.subdistrict,
        "checklists": list(plan.checklist_ids),
        "days": days,
        "plan": plan.id,
        "team": list(plan.team),
        "self": plan.self_inspection,
        "now": now,
    }
    wanted = f"""
        SELECT md5(site.id || '|' || checklist.id || '|' || CAST(day.d AS VARCHAR) || '|' || $self::VARCHAR) AS id,
               site.id AS site_id, checklist.id AS checklist_id, day.d AS due
        FROM ({_PLAN_SITES}) site
        CROSS JOIN (SELECT DISTINCT id FROM checklists WHERE list_contains($checklists, id)
                    AND id NOT IN (SELECT checklist_id FROM checklist_retirements)) checklist
        CROSS JOIN (SELECT unnest($days::DATE[]) AS d) day
    """
    # Overlapping plans share the one task; its team grows by the members of each plan that wants it.
    cursor.execute(
        f"""
        UPDATE tasks SET team = list_distinct(list_concat(team, $team))
        WHERE id IN (SELECT id FROM ({wanted})) AND NOT list_has_all(team, $team)
        """,
        {key: value for key, value in params.items() if key not in ("now", "plan")},
    )
    added = cursor.execute(
        f"""
        INSERT INTO tasks
        SELECT w.id, $plan, w.site_id, w.checklist_id, w.due, $team, $self, $now FROM ({wanted}) w
        WHERE w.id NOT IN (SELECT id FROM tasks)
        ORDER BY w.due  -- tasks stored in day order let a day's list skip the rest of the year
        RETURNING id
        """,
        params,
    ).fetchall()
    return len(added)


# The range's inspections made distinct, to match tasks by: only when some task is due in the range. Where
# nothing is planned, DuckDB made a million inspections distinct for nothing (1.1 s at ten million findings).
_DONE = """
    LEFT JOIN (SELECT DISTINCT site_id, checklist_id, CAST(started_at AS DATE) AS day,
                      coalesce(self_reported, false) AS self_reported
               FROM inspections WHERE status = 'submitted' AND started_at >= $start AND started_at < $end + 1
                 AND EXISTS (SELECT 1 FROM tasks WHERE due BETWEEN $start AND $end)) i
      ON i.site_id = t.site_id AND i.checklist_id = t.checklist_id AND i.day = t.due
         AND i.self_reported = t.self_inspection
"""


def _made_at(cursor: duckdb.DuckDBPyConnection, sites: list[str], start: date, end: date) -> set[tuple]:
    """(site id, checklist id, day, self-reported) of the inspections submitted at `sites` in the range.

    Inspections are written in no time order (the demo's, an office's late entries), so the range's rows lie
    all over the table and its zone maps skip little. The scan keeps to the one cheap test, the time range
    (it still reads every row's started_at), and only the range's few thousand rows meet the status and the
    person's sites. Testing the sites or the status in the scan compares every row's strings, and reading the
    sites by an ART index fetches their rows scattered over the table: both measured slower. A DuckLake
    catalog has no indexes and reads the same way, its files pruned by their started_at ranges."""
    if not sites:
        return set()
    rows = cursor.execute(
        """
        WITH in_range AS MATERIALIZED (
            SELECT site_id, checklist_id, started_at, self_reported, status FROM inspections
            WHERE started_at >= $start AND started_at < $end + 1)
        SELECT DISTINCT site_id, checklist_id, CAST(started_at AS DATE), coalesce(self_reported, false)
        FROM in_range WHERE status = 'submitted' AND list_contains($sites, site_id)
        """,
        {"start": start, "end": end, "sites": sites},
    ).fetchall()
    return set(rows)


def tasks_of(
    cursor: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    *,
    username: str | None = None,
    unit: str | None = None,
    language: str = "zh-CN",
) -> list[tuple]:
    """(id, plan id, plan name, site id, site name, checklist id, checklist title, due, self, done) in the
    range: a team member's (by username) or a unit's self-inspections; undone first, then by day."""
    lang = "en" if language == "en" else "zh"
    # The person's tasks first (a few of a day's thousands), then the range's inspections at only their sites
    # (`_made_at`), matched here: joining the inspections in SQL tested every row of the table.
    rows = cursor.execute(
        f"""
        WITH mine AS MATERIALIZED (
            SELECT t.* FROM tasks t
            WHERE t.due BETWEEN $start AND $end
              AND ($username IS NULL OR (NOT t.self_inspection AND list_contains(t.team, $username)))
              AND ($unit IS NULL OR (t.self_inspection AND t.site_id IN
                   (SELECT id FROM sites WHERE unit_zh = $unit OR unit_en = $unit))))
        SELECT t.id, t.plan_id, p.name, t.site_id, s.name_{lang}, t.checklist_id,
               (SELECT c.title_{lang} FROM checklists c WHERE c.id = t.checklist_id ORDER BY c.version DESC LIMIT 1),
               t.due, t.self_inspection
        FROM mine t JOIN plans p ON p.id = t.plan_id JOIN sites s ON s.id = t.site_id
        """,
        {"start": start, "end": end, "username": username, "unit": unit},
    ).fetchall()
    made = _made_at(cursor, sorted({row[3] for row in rows}), start, end)
    tasks = [(*row, (row[3], row[5], row[7], row[8]) in made) for row in rows]
    # Undone first, then by day, site name and checklist, as the list has always been ordered.
    return sorted(tasks, key=lambda task: (task[9], task[7], task[4] or "", task[5]))


_GROUPS = {
    "subdistrict": "s.subdistrict_{lang}",
    "site_kind": "s.kind",
    "checklist": "t.checklist_id",
    "team": "CASE WHEN t.self_inspection THEN '(self)' ELSE array_to_string(t.team, ',') END",
    "day": "CAST(t.due AS VARCHAR)",
    "site": "s.name_{lang}",
}


def coverage(
    cursor: duckdb.DuckDBPyConnection, start: date, end: date, by: str, language: str = "zh-CN"
) -> list[tuple[str, int, int]]:
    """(group, due, done) over the tasks due in the range, grouped by one of _GROUPS."""
    lang = "en" if language == "en" else "zh"
    group = _GROUPS[by].format(lang=lang)
    return cursor.execute(
        f"""
        SELECT {group} AS grp, count(*) AS due, count(i.site_id) AS done
        FROM tasks t JOIN sites s ON s.id = t.site_id {_DONE}
        WHERE t.due BETWEEN $start AND $end
        GROUP BY ALL ORDER BY (count(*) - count(i.site_id)) DESC, grp
        """,
        {"start": start, "end": end},
    ).fetchall()


def _task_conditions(flt: FindingFilter) -> tuple[str, dict]:
    """Tasks `t` at the filter's places, kind and site, of its checklist; findings' own filters do not apply."""
    conditions, params = site_conditions(flt, "t.site_id")
    if flt.checklist:
        conditions.append(checklist_condition("t.checklist_id"))
        params["checklist"] = flt.checklist
    return " AND ".join(["true", *conditions]), params


def coverage_periods(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, start: date, split: date, end: date
) -> pd.DataFrame:
    """period ('current' from `split`, 'previous' before it), self_inspection, due, done over tasks due in the range."""
    where, params = _task_conditions(flt)
    return cursor.execute(
        f"""
        SELECT CASE WHEN t.due >= $split THEN 'current' ELSE 'previous' END AS period, t.self_inspection,
               count(*) AS due, count(i.site_id) AS done
        FROM tasks t {_DONE}
        WHERE t.due BETWEEN $start AND $end AND {where}
        GROUP BY ALL
        """,
        params | {"start": start, "split": split, "end": end},
    ).df()


def coverage_over_time(
    cursor: duckdb.DuckDBPyConnection, flt: FindingFilter, start: date, end: date, grain: str
) -> pd.DataFrame:
    """period (day, week or month), due, done over the supervision tasks (not self-inspections) due in the range."""
    if grain not in ("day", "week", "month"):
        raise ValueError(f"no time grain {grain!r}")
    where, params = _task_conditions(flt)
    return cursor.execute(
        f"""
        SELECT date_trunc('{grain}', t.due)::DATE AS period, count(*) AS due, count(i.site_id) AS done
        FROM tasks t {_DONE}
        WHERE t.due BETWEEN $start AND $end AND NOT t.self_inspection AND {where}
        GROUP BY ALL ORDER BY period
        """,
        params | {"start": start, "end": end},
    ).df()


def missed_sites(
    cursor: duckdb.DuckDBPyConnection,
    flt: FindingFilter,
    start: date,
    end: date,
    *,
    self_inspection: bool,
    language: str,
    top: int,
) -> pd.DataFrame:
    """site_id, site, due, missed for the `top` sites with the most tasks not done in the range, supervision
    tasks or units' self-inspections."""
    lang = "en" if language == "en" else "zh"
    where, params = _task_conditions(flt)
    return cursor.execute(
        f"""
        WITH missed AS (
            SELECT t.site_id, count(*) AS due, count(*) - count(i.site_id) AS missed
            FROM tasks t {_DONE}
            WHERE t.due BETWEEN $start AND $end AND t.self_inspection = $self AND {where}
            GROUP BY ALL HAVING count(*) > count(i.site_id)
            ORDER BY missed DESC, t.site_id LIMIT $top)
        SELECT m.site_id, s.name_{lang} AS site, m.due, m.missed
        FROM missed m JOIN sites s ON s.id = m.site_id
        ORDER BY m.missed DESC, s.name_{lang}
        """,
        params | {"start": start, "end": end, "self": self_inspection, "top": top},
    ).df()


def coverage_rows(cursor: duckdb.DuckDBPyConnection, start: date, end: date):
    """One Arrow batch stream of site_code, checklist_id, due_date, done (and names) for the CSV export."""
    return cursor.execute(
        f"""
        SELECT s.code AS site_code, t.checklist_id, t.due AS due_date,
               CASE WHEN i.site_id IS NULL THEN 'false' ELSE 'true' END AS done,
               s.name_zh AS site_name, s.subdistrict_zh AS subdistrict, s.kind AS site_kind,
               CASE WHEN t.self_inspection THEN 'self' ELSE array_to_string(t.team, ',') END AS team
        FROM tasks t JOIN sites s ON s.id = t.site_id {_DONE}
        WHERE t.due BETWEEN $start AND $end
        ORDER BY t.due, s.code, t.checklist_id
        """,
        {"start": start, "end": end},
    ).to_arrow_reader()


def site_codes_known(cursor: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, bool]:
    """code -> active, for the codes registered."""
    return dict(
        cursor.execute("SELECT code, active FROM sites WHERE list_contains($codes, code)", {"codes": codes}).fetchall()
    )


def checklist_state(cursor: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, bool]:
    """checklist id -> retired, for the ids registered."""
    return dict(
        cursor.execute(
            "SELECT DISTINCT id, id IN (SELECT checklist_id FROM checklist_retirements) FROM checklists "
            "WHERE list_contains($ids, id)",
            {"ids": ids},
        ).fetchall()
    )


def retire_checklist(cursor: duckdb.DuckDBPyConnection, checklist_id: str, day: date, by: str) -> None:
    cursor.execute("INSERT INTO checklist_retirements VALUES (?, ?, ?)", [checklist_id, day, by])


def users_with_roles(cursor: duckdb.DuckDBPyConnection, usernames: list[str]) -> dict[str, tuple[str, bool]]:
    """username -> (role, active), for the accounts that exist."""
    return {
        row[0]: (row[1], row[2])
        for row in cursor.execute(
            "SELECT username, role, active FROM users WHERE list_contains($names, username)", {"names": usernames}
        ).fetchall()
    }


def choices(cursor: duckdb.DuckDBPyConnection, language: str) -> dict[str, list[tuple[str, str]]]:
    """What a plan form offers: checklists, sites, subdistricts and team members, as (value, label)."""
    lang = "en" if language == "en" else "zh"
    return {
        "checklist": cursor.execute(
            f"SELECT id, arg_max(title_{lang}, version) FROM checklists WHERE id NOT IN "
            "(SELECT checklist_id FROM checklist_retirements) GROUP BY id ORDER BY id"
        ).fetchall(),
        "site": cursor.execute(
            f"SELECT code, code || ' ' || name_{lang} FROM sites WHERE active ORDER BY code"
        ).fetchall(),
        "subdistrict": cursor.execute(
            f"SELECT DISTINCT subdistrict_zh, subdistrict_{lang} FROM sites WHERE active ORDER BY 1"
        ).fetchall(),
        "team": cursor.execute(
            "SELECT username, display_name || ' (' || username || ')' FROM users "
            "WHERE active AND role IN ('inspector', 'supervisor') ORDER BY username"
        ).fetchall(),
    }
