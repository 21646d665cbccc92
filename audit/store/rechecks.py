"""回头看: re-check campaigns, the closed findings drawn into them, and what each re-check found."""

from __future__ import annotations

from datetime import datetime

import duckdb

from audit.model import Campaign, CampaignFilter, CampaignItem, RecheckOutcome

# Closed supervision findings in the filter; a unit's self-reported findings are kept out of every count.
_POPULATION = """
    SELECT f.id, f.site_id FROM findings f JOIN sites s ON s.id = f.site_id
    WHERE f.status = 'closed' AND f.closed_at >= $closed_from AND f.closed_at < $closed_to + 1
      AND ($kind IS NULL OR s.kind = $kind) AND ($severity IS NULL OR f.severity = $severity)
      AND ($unit IS NULL OR f.responsible_unit = $unit)
      AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.id = f.inspection_id AND i.self_reported)
"""


def _filter(scope: CampaignFilter) -> dict:
    return {
        "closed_from": scope.closed_from,
        "closed_to": scope.closed_to,
        "kind": scope.site_kind,
        "severity": scope.severity,
        "unit": scope.unit,
    }


def population(cursor: duckdb.DuckDBPyConnection, scope: CampaignFilter) -> int:
    return cursor.execute(f"SELECT count(*) FROM ({_POPULATION})", _filter(scope)).fetchone()[0]


def draw(cursor: duckdb.DuckDBPyConnection, scope: CampaignFilter, seed: int, size: int) -> list[tuple[str, str]]:
    """(finding id, site id) of the `size` findings whose sha256("seed:id") sorts first: a draw anyone can redo."""
    return cursor.execute(
        f"SELECT id, site_id FROM ({_POPULATION}) ORDER BY sha256(CAST($seed AS VARCHAR) || ':' || id), id LIMIT $size",
        _filter(scope) | {"seed": seed, "size": size},
    ).fetchall()


def insert_campaign(cursor: duckdb.DuckDBPyConnection, campaign: Campaign, drawn: list[tuple[str, str]]) -> None:
    scope = campaign.scope
    cursor.execute(
        "INSERT INTO recheck_campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            campaign.id,
            campaign.name,
            scope.closed_from,
            scope.closed_to,
            scope.site_kind,
            scope.severity,
            scope.unit,
            campaign.sample_size,
            campaign.sample_share,
            campaign.seed,
            campaign.population,
            campaign.drawn,
            list(campaign.team),
            campaign.due,
            campaign.created_by,
            campaign.created_at,
        ],
    )
    cursor.executemany(
        "INSERT INTO recheck_items (campaign_id, finding_id, site_id) VALUES (?, ?, ?)",
        [[campaign.id, finding_id, site_id] for finding_id, site_id in drawn],
    )


_CAMPAIGN = (
    "id, name, closed_from, closed_to, site_kind, severity, unit, team, due, seed, population, drawn, "
    "sample_size, sample_share, created_by, created_at"
)


def _campaign(row: tuple) -> Campaign:
    (
        id_,
        name,
        closed_from,
        closed_to,
        kind,
        severity,
        unit,
        team,
        due,
        seed,
        population_,
        drawn,
        size,
        share,
        by,
        at,
    ) = row
    return Campaign(
        id=id_,
        name=name,
        scope=CampaignFilter(closed_from, closed_to, kind, severity, unit),
        team=tuple(team),
        due=due,
        seed=seed,
        population=population_,
        drawn=drawn,
        sample_size=size,
        sample_share=share,
        created_by=by,
        created_at=at,
    )


def campaigns(cursor: duckdb.DuckDBPyConnection) -> list[Campaign]:
    return [
        _campaign(row)
        for row in cursor.execute(f"SELECT {_CAMPAIGN} FROM recheck_campaigns ORDER BY created_at DESC").fetchall()
    ]


def get_campaign(cursor: duckdb.DuckDBPyConnection, campaign_id: str) -> Campaign | None:
    row = cursor.execute(f"SELECT {_CAMPAIGN} FROM recheck_campaigns WHERE id = ?", [campaign_id]).fetchone()
    return _campaign(row) if row else None


def items(
    cursor: duckdb.DuckDBPyConnection,
    *,
    campaign_id: str | None = None,
    username: str | None = None,
    open_only: bool = False,
    finding_id: str | None = None,
    language: str = "zh-CN",
) -> list[CampaignItem]:
    """A campaign's items, or those of every campaign whose team holds `username`; undone first, by due day."""
    lang = "en" if language == "en" else "zh"
    rows = cursor.execute(
        f"""
        SELECT r.campaign_id, c.name, r.finding_id, f.number, r.site_id, s.name_{lang}, s.kind, f.responsible_unit,
               f.severity, f.description, c.due, r.outcome, r.note, r.new_finding_id, n.number, r.checked_by,
               r.checked_at
        FROM recheck_items r JOIN recheck_campaigns c ON c.id = r.campaign_id
        JOIN findings f ON f.id = r.finding_id JOIN sites s ON s.id = r.site_id
        LEFT JOIN findings n ON n.id = r.new_finding_id
        WHERE ($campaign IS NULL OR r.campaign_id = $campaign)
          AND ($username IS NULL OR list_contains(c.team, $username))
          AND (NOT $open_only OR r.outcome IS NULL) AND ($finding IS NULL OR r.finding_id = $finding)
        ORDER BY r.outcome IS NOT NULL, c.due, s.name_{lang}, f.number
        """,
        {"campaign": campaign_id, "username": username, "open_only": open_only, "finding": finding_id},
    ).fetchall()
    return [CampaignItem(*row[:11], RecheckOutcome(row[11]) if row[11] else None, *row[12:]) for row in rows]


def open_count(cursor: duckdb.DuckDBPyConnection, username: str | None = None) -> int:
    """Items left to re-check (of the campaigns whose team holds `username`), counted without touching findings."""
    return cursor.execute(
        "SELECT count(*) FROM recheck_items r JOIN recheck_campaigns c ON c.id = r.campaign_id "
        "WHERE r.outcome IS NULL AND ($username IS NULL OR list_contains(c.team, $username))",
        {"username": username},
    ).fetchone()[0]


def record_outcome(
    cursor: duckdb.DuckDBPyConnection,
    campaign_id: str,
    finding_id: str,
    outcome: RecheckOutcome,
    note: str,
    new_finding_id: str | None,
    by: str,
    now: datetime,
) -> bool:
    """Record a re-check once; False when it was already recorded (a second tap or another inspector)."""
    return bool(
        cursor.execute(
            """
        UPDATE recheck_items SET outcome = ?, note = ?, new_finding_id = ?, checked_by = ?, checked_at = ?
        WHERE campaign_id = ? AND finding_id = ? AND outcome IS NULL RETURNING finding_id
        """,
            [outcome.value, note, new_finding_id, by, now, campaign_id, finding_id],
        ).fetchall()
    )


_RATE_GROUPS = {"unit": "f.responsible_unit", "site_kind": "s.kind"}


def relapse_rates(cursor: duckdb.DuckDBPyConnection, campaign_id: str, by: str) -> list[tuple[str, int, int, int]]:
    """(group, items, re-checked, relapsed) by responsible unit or site kind, most relapses first."""
    return cursor.execute(
        f"""
        SELECT {_RATE_GROUPS[by]} AS grp, count(*), count(r.outcome), count(*) FILTER (r.outcome = 'relapsed')
        FROM recheck_items r JOIN findings f ON f.id = r.finding_id JOIN sites s ON s.id = r.site_id
        WHERE r.campaign_id = ? GROUP BY ALL ORDER BY 4 DESC, 1
        """,
        [campaign_id],
    ).fetchall()


def export_rows(cursor: duckdb.DuckDBPyConnection, campaign_id: str):
    """The campaign's items as one Arrow stream, every column text, for the CSV export."""
    return cursor.execute(
        """
        SELECT f.number, s.code, s.name_zh, s.kind, f.responsible_unit, f.severity, f.description,
               strftime(f.closed_at, '%Y-%m-%d %H:%M'), coalesce(r.outcome, ''), coalesce(n.number, ''),
               coalesce(r.checked_by, ''), coalesce(strftime(r.checked_at, '%Y-%m-%d %H:%M'), ''), r.note
        FROM recheck_items r JOIN findings f ON f.id = r.finding_id JOIN sites s ON s.id = r.site_id
        LEFT JOIN findings n ON n.id = r.new_finding_id
        WHERE r.campaign_id = ? ORDER BY f.number
        """,
        [campaign_id],
    ).to_arrow_reader()


def units(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    """Responsible units that have closed findings, for the campaign form."""
    return [
        row[0]
        for row in cursor.execute(
            "SELECT DISTINCT responsible_unit FROM findings WHERE status = 'closed' AND responsible_unit <> '' "
            "ORDER BY 1"
        ).fetchall()
    ]
