"""Every setting in one object, read from AUDIT_* environment variables by the app and the CLI alike.

A command-line option (`--db`) overrides its variable. A value that cannot be used stops with a
message naming the variable and what it must be; nothing falls back silently.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from audit.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = Path("data") / "audit.duckdb"


class Settings(BaseSettings):
    """(name, default, help): the README's settings table is checked against these fields."""

    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", frozen=True)

    db: str = Field(
        str(DEFAULT_DATABASE), description="the database: a DuckDB file path, or a lake as ducklake:postgres:..."
    )
    checklists: Path = Field(ROOT / "checklists", description="folder of checklist files loaded at start")
    idle_minutes: float = Field(30, ge=1, description="idle minutes before a session is signed out")
    pdf_font: Path | None = Field(None, description="a TrueType/OpenType CJK font for PDF documents")
    secret_key: str | None = Field(
        None, min_length=32, description="key that signs backups; default: a key file beside the database"
    )
    backup_dir: Path | None = Field(
        None, description="folder of scheduled backups; default: backups/ beside the database"
    )
    backup_keep: int = Field(7, ge=1, description="scheduled backups kept")
    backup_hours: float = Field(24, gt=0, description="hours between scheduled backups")
    accountability: Path = Field(
        ROOT / "data" / "accountability.yaml", description="file of accountability measures and escalation rules"
    )
    lake_retention_days: float = Field(
        7, ge=0, description="days a lake keeps old snapshots (and the files only they read) for time travel"
    )
    lake_data: Path | None = Field(None, description="data folder of a DuckLake store, shared by its servers")

    @property
    def database_path(self) -> Path:
        return Path(self.db)


@lru_cache(maxsize=1)
def _cached(environment: tuple[tuple[str, str], ...]) -> Settings:
    return load()


def _environment() -> tuple[tuple[str, str], ...]:
    """The AUDIT_* variables as they are now: settings are read again only when one changes."""
    return tuple(sorted((name, value) for name, value in os.environ.items() if name.upper().startswith("AUDIT_")))


def load(**overrides) -> Settings:
    """Settings from the environment, `overrides` (given options) winning; refused with the variable named."""
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        problem = error.errors()[0]
        name = f"AUDIT_{str(problem['loc'][0]).upper()}"
        raise InvalidInput(
            "settings.error.invalid",
            field=name,
            setting=name,
            value=str(problem.get("input", "")),
            reason=problem["msg"],
        ) from None


def settings() -> Settings:
    """The process's settings, read once and again whenever an AUDIT_* variable changes."""
    return _cached(_environment())


def reload() -> Settings:
    _cached.cache_clear()
    return settings()
