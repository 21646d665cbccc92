"""Photos stored once by content hash, and their links to findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from audit.photos import PreparedPhoto


@dataclass(frozen=True)
class PhotoLink:
    sha256: str
    stage: str  # "found" (the problem) or "fix" (evidence of the rectification)
    event_id: str | None
    added_at: datetime
    added_by: str


def save_photo(cursor: duckdb.DuckDBPyConnection, photo: PreparedPhoto, now: datetime) -> None:
    """Insert the picture unless the same content is already stored."""
    cursor.execute(
        """
        INSERT INTO photos
        SELECT ?, ?, ?, ?, ?, ?, ?, ?
        WHERE NOT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?)
        """,
        [
            photo.sha256,
            photo.mime,
            photo.width,
            photo.height,
            photo.size_bytes,
            photo.data,
            photo.thumbnail,
            now,
            photo.sha256,
        ],
    )


def attach_photo(
    cursor: duckdb.DuckDBPyConnection,
    finding_id: str,
    sha256: str,
    *,
    stage: str,
    added_by: str,
    now: datetime,
    event_id: str | None = None,
) -> None:
    cursor.execute(
        "INSERT INTO finding_photos VALUES (?, ?, ?, ?, ?, ?)", [finding_id, sha256, stage, event_id, now, added_by]
    )


def photos_of_finding(cursor: duckdb.DuckDBPyConnection, finding_id: str) -> list[PhotoLink]:
    rows = cursor.execute(
        "SELECT sha256, stage, event_id, added_at, added_by FROM finding_photos "
        "WHERE finding_id = ? ORDER BY added_at, sha256",
        [finding_id],
    ).fetchall()
    return [PhotoLink(*row) for row in rows]


def photo_bytes(cursor: duckdb.DuckDBPyConnection, sha256: str, *, thumbnail: bool = False) -> bytes | None:
    column = "thumbnail" if thumbnail else "data"
    row = cursor.execute(f"SELECT {column} FROM photos WHERE sha256 = ?", [sha256]).fetchone()
    return bytes(row[0]) if row else None
