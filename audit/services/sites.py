"""Importing the site registry from CSV: all or nothing, every problem named by its row.

Admins fix registry files in Excel, so a failed import lists every problem at once with
the row number Excel shows (the header is row 1) rather than stopping at the first.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from audit.errors import InvalidInput
from audit.model import SiteKind, new_id
from audit.services.database import unit_of_work
from audit.store import audit_log
from audit.store.db import Database
from audit.store.sites import COLUMNS, import_sites, site_rows

KINDS = [kind.value for kind in SiteKind]


class SiteRow(BaseModel):
    """One registry row; every field is required text."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name_zh: str
    name_en: str
    kind: str
    district_zh: str
    district_en: str
    subdistrict_zh: str
    subdistrict_en: str
    community_zh: str
    community_en: str
    unit_zh: str
    unit_en: str

    @field_validator("*", mode="before")
    @classmethod
    def not_empty(cls, value: object) -> str:
        text = "" if value is None else str(value).strip()
        if not text:
            raise ValueError("must not be empty")
        return text

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str) -> str:
        if value in KINDS:
            return value
        hint = did_you_mean(value, KINDS) or f"; use one of: {', '.join(KINDS)}"
        raise ValueError(f"unknown site kind {value!r}{hint}")


@dataclass(frozen=True)
class ImportReport:
    rows: int
    inserted: int
    updated: int
    unchanged: int


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_csv_text(source: str | os.PathLike | IO) -> str:
    """UTF-8 with or without the byte-order mark Excel writes."""
    data = Path(source).read_bytes() if isinstance(source, (str, os.PathLike)) else source.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput("sites.error.not_utf8", field="file", byte=error.start) from error


def header_problems(header: list[str]) -> list[str]:
    problems = [f"header: missing column {name!r}" for name in COLUMNS if name not in header]
    for name in dict.fromkeys(header):
        if name not in COLUMNS:
            problems.append(f"header: unknown column {name!r}{did_you_mean(name, list(COLUMNS))}")
        elif header.count(name) > 1:
            problems.append(f"header: column {name!r} appears {header.count(name)} times")
    return problems


def row_problems(number: int, values: dict[str, str], ignored: set[str]) -> list[str]:
    try:
        SiteRow(**values)
    except ValidationError as error:
        return [
            f"row {number}: {entry['loc'][0]}: {entry['msg'].removeprefix('Value error, ')}"
            for entry in error.errors()
            if entry["loc"][0] not in ignored
        ]
    return []


def parse_sites(source: str | os.PathLike | IO) -> list[dict[str, str]]:
    """Validated rows, or InvalidInput listing every problem by row number."""
    records = list(csv.reader(io.StringIO(read_csv_text(source))))
    if not records or not any(records[0]):
        raise InvalidInput("sites.error.empty", field="file", columns=", ".join(COLUMNS))
    header = [name.strip() for name in records[0]]
    problems = header_problems(header)
    missing = {name for name in COLUMNS if name not in header}
    rows, first_seen = [], {}
    for number, record in enumerate(records[1:], start=2):
        if not any(field.strip() for field in record):
            continue
        if len(record) != len(header):
            problems.append(f"row {number}: has {len(record)} fields but the header has {len(header)}")
            continue
        values = {name: value for name, value in zip(header, record) if name in COLUMNS}
        problems += row_problems(number, values, missing)
        code = values.get("code", "").strip()
        if code and code in first_seen:
            problems.append(f"row {number}: code: {code!r} appears again (first on row {first_seen[code]})")
        if code:
            first_seen.setdefault(code, number)
        rows.append({name: value.strip() for name, value in values.items()})
    if problems:
        raise InvalidInput("sites.error.problems", field="file", count=len(problems), problems="\n".join(problems))
    return rows


def import_sites_csv(
    database: Database, source: str | os.PathLike | IO, actor: str, *, make_id: Callable[[], str] = new_id
) -> ImportReport:
    """Check the whole file first, then import every row in one transaction, or nothing."""
    return _store_sites(database, parse_sites(source), actor, _source_name(source), make_id)


@unit_of_work  # the file is read once, before: a unit run again has the rows, not a spent stream
def _store_sites(
    database: Database, rows: list[dict[str, str]], actor: str, source: str, make_id: Callable[[], str]
) -> ImportReport:
    codes = [row["code"] for row in rows]
    with database.write() as cursor:
        before = site_rows(cursor, codes)
        counts = import_sites(cursor, rows, actor=actor, make_id=make_id)
        log_site_changes(cursor, codes, before, site_rows(cursor, codes), actor=actor, source=source)
        report = ImportReport(len(rows), counts.inserted, counts.updated, counts.unchanged)
        audit_log.append(cursor, actor=actor, action="sites.imported", entity="site", after=asdict(report))
    return report


def log_site_changes(
    cursor, codes: list[str], before: dict[str, dict], after: dict[str, dict], *, actor: str, source: str
) -> None:
    """One log entry per site the import added or changed, in file order, with the values before and after."""
    for code in codes:
        now, was = after[code], before.get(code)
        if was is None:
            audit_log.append(
                cursor,
                actor=actor,
                action="site.created",
                entity="site",
                entity_id=now["id"],
                after=now | {"source": source},
            )
            continue
        changed = [name for name in now if now[name] != was[name]]
        if changed:
            audit_log.append(
                cursor,
                actor=actor,
                action="site.updated",
                entity="site",
                entity_id=now["id"],
                before={"code": code} | {name: was[name] for name in changed},
                after={"code": code} | {name: now[name] for name in changed} | {"source": source},
            )


def _source_name(source) -> str:
    return Path(source).name if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "upload")
