from __future__ import annotations

from pathlib import Path

import pytest

from audit.store import open_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.duckdb"


@pytest.fixture
def db(db_path: Path):
    database = open_database(db_path)
    yield database
    database.close()
