"""The site registry: district → subdistrict → community → site, every name in zh and en.

Sites are matched by their `code` on import, so a corrected registry file updates the
sites in place (keeping their ids, which findings point to) instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from audit.model import Site, SiteKind, Text, new_id
from audit.store.backend import cached

BILINGUAL = ("name", "district", "subdistrict", "community", "unit")
COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "kind",
    "district_zh",
    "district_en",
    "subdistrict_zh",
    "subdistrict_en",
    "community_zh",
    "community_en",
    "unit_zh",
    "unit_en",
)
_SELECT = f"SELECT id, {', '.join(COLUMNS)}, active FROM sites"
_CHANGED = " OR ".join(f"s.{c} IS DISTINCT FROM i.{c}" for c in COLUMNS[1:]) + " OR NOT s.active"


@dataclass(frozen=True)
class ImportCounts:
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Place:
    """One community and where it lies, for the filter dropdowns."""

    district: Text
    subdistrict: Text
    community: Text


def _site(row: tuple) -> Site:
    values = dict(zip(("id", *COLUMNS, "active"), row))
    texts = {name: Text(values[f"{name}_zh"], values[f"{name}_en"]) for name in BILINGUAL}
    return Site(id=values["id"], code=values["code"], kind=SiteKind(values["kind"]), active=values["active"], **texts)


def import_sites(
    cursor: duckdb.DuckDBPyConnection,
    rows: Iterable[Mapping[str, str]],
    *,
    actor: str,
    make_id: Callable[[], str] = new_id,
) -> ImportCounts:
    """Upsert by code in the caller's transaction: changed sites get version + 1, new ones an id."""
    rows = list(rows)
    incoming = pa.table({c: pa.array([row[c] for row in rows], pa.string()) for c in COLUMNS})
    cursor.register("incoming_sites", incoming)
    try:
        return _upsert(cursor, make_id, actor)
    finally:
        cursor.unregister("incoming_sites")


def _upsert(cursor: duckdb.DuckDBPyConnection, make_id: Callable[[], str], actor: str) -> ImportCounts:
    now = datetime.now()
    existing = "SELECT 1 FROM sites s WHERE s.code = i.code"
    new_codes = [
        r[0]
        for r in cursor.execute(
            f"SELECT code FROM incoming_sites i WHERE NOT EXISTS ({existing}) ORDER BY code"
        ).fetchall()
    ]
    changed = cursor.execute(
        f"SELECT count(*) FROM sites s JOIN incoming_sites i USING (code) WHERE {_CHANGED}"
    ).fetchone()[0]
    assignments = ", ".join(f"{c} = i.{c}" for c in COLUMNS[1:])
    cursor.execute(
        f"UPDATE sites s SET {assignments}, active = true, version = s.version + 1, "
        f"updated_at = $now, updated_by = $actor FROM incoming_sites i WHERE s.code = i.code AND ({_CHANGED})",
        {"now": now, "actor": actor},
    )
    ids = pa.table(
        {"code": pa.array(new_codes, pa.string()), "id": pa.array([make_id() for _ in new_codes], pa.string())}
    )
    cursor.register("new_site_ids", ids)
    try:
        cursor.execute(
            f"INSERT INTO sites (id, {', '.join(COLUMNS)}, active, version, updated_at, updated_by) "
            f"SELECT n.id, {', '.join('i.' + c for c in COLUMNS)}, true, 1, $now, $actor "
            "FROM incoming_sites i JOIN new_site_ids n USING (code) ORDER BY i.code",
            {"now": now, "actor": actor},
        )
    finally:
        cursor.unregister("new_site_ids")
    total = cursor.execute("SELECT count(*) FROM incoming_sites").fetchone()[0]
    return ImportCounts(len(new_codes), changed, total - len(new_codes) - changed)


def site_rows(cursor: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, dict]:
    """The registry columns (and id, active) of the sites with these codes, by code."""
    result = cursor.execute(
        f"SELECT id, {', '.join(COLUMNS)}, active FROM sites WHERE code IN (SELECT unnest(?::VARCHAR[]))", [codes]
    )
    names = [column[0] for column in result.description]
    return {row[1]: dict(zip(names, row)) for row in result.fetchall()}


def list_sites(
    cursor: duckdb.DuckDBPyConnection,
    *,
    search: str | None = None,
    subdistrict: str | None = None,
    community: str | None = None,
    kind: SiteKind | str | None = None,
    active_only: bool = True,
) -> list[Site]:
    """Sites in code order; subdistrict and community match either language."""
    conditions, params = ["true"], {}
    if search:
        conditions.append("(name_zh ILIKE $search OR name_en ILIKE $search OR code ILIKE $search)")
        params["search"] = f"%{search.strip()}%"
    for level, value in (("subdistrict", subdistrict), ("community", community)):
        if value:
            conditions.append(f"({level}_zh = ${level} OR {level}_en = ${level})")
            params[level] = value
    if kind:
        conditions.append("kind = $kind")
        params["kind"] = SiteKind(kind).value
    if active_only:
        conditions.append("active")
    rows = cursor.execute(f"{_SELECT} WHERE {' AND '.join(conditions)} ORDER BY code", params).fetchall()
    return [_site(row) for row in rows]


def get_site(cursor: duckdb.DuckDBPyConnection, site_id: str) -> Site | None:
    def read() -> Site | None:
        row = cursor.execute(f"{_SELECT} WHERE id = ?", [site_id]).fetchone()
        return _site(row) if row else None

    return cached(cursor, ("site", site_id), ("sites",), read)


def hierarchy(cursor: duckdb.DuckDBPyConnection) -> list[Place]:
    rows = cursor.execute(
        "SELECT DISTINCT district_zh, district_en, subdistrict_zh, subdistrict_en, community_zh, community_en "
        "FROM sites WHERE active ORDER BY ALL"
    ).fetchall()
    return [Place(Text(r[0], r[1]), Text(r[2], r[3]), Text(r[4], r[5])) for r in rows]


def count_sites(cursor: duckdb.DuckDBPyConnection, *, active_only: bool = True) -> int:
    where = " WHERE active" if active_only else ""
    return cursor.execute(f"SELECT count(*) FROM sites{where}").fetchone()[0]


def set_site_active(cursor: duckdb.DuckDBPyConnection, site_id: str, active: bool, *, actor: str) -> None:
    """Deactivate (or bring back) a site; it stays in the registry for the findings made there."""
    cursor.execute(
        "UPDATE sites SET active = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
        [active, datetime.now(), actor, site_id],
    )
